"""Loopback servers speaking the APIs Balance Desk reads, for `--demo`, the CLI and the tests.

They listen on 127.0.0.1 only and never reach the internet.
"""
