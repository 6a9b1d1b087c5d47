"""``python -m tui`` runs the ``cwdash`` command line."""

import sys

from cwdash.tui.cli import main

sys.exit(main())
