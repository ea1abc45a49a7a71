"""One module per API; every source raises the typed tree in `errors`."""
