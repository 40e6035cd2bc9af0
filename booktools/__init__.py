"""Build support for the book: dependency-keyed execution, checks and benchmarks."""
