"""The frozen app's entry point: the same `balance-desk` command, in one double-clickable file.

The app starts its fetch process from this same executable, with `--fetch-host` as its only
argument (a frozen build has no `python -m`); that is the one argument handled here.
"""

import sys

from balance_desk.fetcher.protocol import FETCH_HOST_FLAG

if sys.argv[1:] == [FETCH_HOST_FLAG]:
    from balance_desk.fetcher.child import main as fetch_host_main

    fetch_host_main()
else:
    from balance_desk.main import main

    raise SystemExit(main())
