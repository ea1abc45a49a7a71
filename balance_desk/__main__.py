"""`python -m balance_desk` is the same as the `balance-desk` command."""

from balance_desk.cli import main

raise SystemExit(main())
