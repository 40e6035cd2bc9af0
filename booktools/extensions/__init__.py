"""The Sphinx extensions of the book, listed under ``sphinx.extra_extensions`` in ``_config.yml``.

Each module is one extension: a ``setup()`` that wires Sphinx events to the features it uses
from :mod:`booktools.core`.
"""
