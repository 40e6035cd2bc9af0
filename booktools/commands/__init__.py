"""The book's commands, each run as ``python -m booktools.commands.<name>`` (most through ``make``)."""
