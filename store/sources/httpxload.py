"""httpx, loaded the way cwdash needs it: late, and without its command-line client.

Why this module exists: ``import httpx`` also imports ``httpx._main`` (httpx's own
command-line client), which pulls in rich, click and pygments whenever they are
installed, and textual installs them: about 0.4 s that cwdash never uses. httpx has
no public switch for this, so the one private detail we lean on lives here alone:
a ``None`` placed in ``sys.modules["httpx._main"]`` before the first import makes
httpx's ``try: from ._main import main / except ImportError`` take its fallback.

``tests/test_httpxload.py`` fails loudly when an httpx upgrade moves or renames that
module (the trick would silently stop working) or stops tolerating its absence.
"""

from __future__ import annotations

import sys
from types import ModuleType

CLI_MODULE = "httpx._main"


def load_httpx() -> ModuleType:
    """httpx, imported on the first live read rather than at start-up (~0.1 s).

    Always through ``import``, never a look in ``sys.modules``: two live sources reading
    on two threads (``--all-sites``) may ask at once, and ``import`` waits for the other
    thread's import to finish where ``sys.modules`` hands out a half-initialised module."""
    sys.modules.setdefault(CLI_MODULE, None)  # type: ignore[arg-type]
    import httpx

    return httpx
