"""What the extensions and the commands share: the execution core, the chapter rules, the toc, the build lock.

Nothing here registers with Sphinx or has a command line; the extensions (:mod:`booktools.extensions`)
and the commands (:mod:`booktools.commands`) are built on these modules.
"""
