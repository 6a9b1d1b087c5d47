"""The ``cwdash`` command line: headless commands, apart from the screens.

:mod:`~cwdash.cli.main` parses and dispatches; the commands live by what they do
(:mod:`~cwdash.cli.reads`, :mod:`~cwdash.cli.writes`, :mod:`~cwdash.cli.keys`) and
print through :mod:`~cwdash.cli.output`. None of it imports Textual or Rich: the
dashboard is reached only through :mod:`cwdash.tui.launch`, lazily (an import-linter
contract in pyproject.toml holds this).
"""
