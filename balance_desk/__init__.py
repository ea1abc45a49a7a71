"""Balance Desk: Revolut X crypto and Open Banking bank balances in one window."""

import os as _os

__version__ = "0.1.0"
APP_NAME = "Balance Desk"
APP_ID = "io.github.balancedesk.BalanceDesk"

# No pydantic plugin may watch our models: they carry keys and tokens, and a plugin sees every
# value validated. Looking for plugins also cost each process about 50 ms at start (every
# installed package's entry points read). Our child processes inherit the setting.
_os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
