"""cwdash's data side: store, sealed tokens, configuration, live reads and the read model.

Nothing in this package imports Textual: the headless commands start fast and the
read model can be tested and benchmarked without a screen.
"""

import logging as _logging

# cwdash.* records go to the log file once one is installed (cwdash.store.logfile), never to
# logging's last-resort stderr printer, which would print them unredacted.
_logging.getLogger("cwdash").addHandler(_logging.NullHandler())
