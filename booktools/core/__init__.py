"""What the extensions and the commands share: reading the toc, executing chapters, the build lock.

Nothing here registers with Sphinx or has a command line; the extensions (:mod:`booktools.extensions`)
and the commands (:mod:`booktools.commands`) are built on these modules.
"""
