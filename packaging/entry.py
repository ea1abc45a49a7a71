"""The frozen app's entry point: the same `balance-desk` command, in one double-clickable file."""

from balance_desk.cli import main

raise SystemExit(main())
