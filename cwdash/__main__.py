"""``python -m cwdash`` runs the ``cwdash`` command line."""

import sys

from cwdash.cli.main import main

sys.exit(main())
