"""`python -m balance_desk` is the same as the `balance-desk` command."""

from balance_desk.main import main

raise SystemExit(main())
