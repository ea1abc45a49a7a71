"""The frozen app's entry point: the same `balance-desk` command, in one double-clickable file.

The app starts its fetch process from this same executable, with `--fetch-host` as its first
argument (a frozen build has no `python -m`); that is the one argument handled here.
"""

import sys

from balance_desk.fetcher.early import FETCH_HOST_FLAG

if sys.argv[1:2] == [FETCH_HOST_FLAG]:
    import os

    # The fetch process gives the window the CPU first, from its very start (see child.py).
    if hasattr(os, "nice"):
        os.nice(10)
    from balance_desk.fetcher.child import main as fetch_host_main

    fetch_host_main()
else:
    from balance_desk.main import main

    raise SystemExit(main())
