"""Run a command and print, as one JSON line, its wall time, CPU time, exit code and peak RSS.

Peak RSS of a child forked straight from the bench is wrong once the bench itself is large
(after the in-process steps it holds a 100k fleet): ``ru_maxrss`` counts the pages the child
shares with its parent between fork and exec, which once read 200 MB for a 33 MB command.
Forked from this small process instead, the figure is the command's own.

    python bench/maxrss.py CMD [ARG...]   (the command's stdout goes to /dev/null)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def main() -> int:
    with open(os.devnull, "wb") as sink:
        started = time.perf_counter()
        proc = subprocess.Popen(sys.argv[1:], stdout=sink, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        error = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = code = os.waitstatus_to_exitcode(status)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": usage.ru_utime + usage.ru_stime,
                "rss_mb": usage.ru_maxrss / 1024,
                "code": code,
                "stderr": error.decode("utf-8", "replace")[-500:],
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
