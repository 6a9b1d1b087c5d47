"""cwdash: a terminal dashboard for the Chatwoot integrations of a RyzeAPI gateway.

Installed, ``cwdash`` is the one top-level import name cwdash owns: the data side
is ``cwdash.store``, the screens ``cwdash.tui``, the stylesheets ``cwdash.styles``.

In the repository those live in the top-level ``store/``, ``tui/`` and ``styles/``
folders (the layout the project's design card names); ``cwdash/store``,
``cwdash/tui`` and ``cwdash/styles`` are symbolic links to them. So every tool
(the wheel build, an editable install, import-linter, editors) sees one ordinary
package, and cwdash never imports a bare ``store`` or ``tui`` that a foreign
package on the path could shadow.
"""

__version__ = "0.1.0"
