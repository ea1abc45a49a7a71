"""Balance Desk: Revolut X crypto and Open Banking bank balances in one window."""

__version__ = "0.1.0"
APP_NAME = "Balance Desk"
APP_ID = "io.github.balancedesk.BalanceDesk"
