"""How the fetch process builds its sources (`balance_desk/fetcher/targets.py`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DEMO_FETCH = """
import sys
from balance_desk.fetcher.targets import demo_sources
built = demo_sources()
try:
    print(*(source.fetch(user_present=True).status for source in built.sources))
finally:
    for source in built.sources:
        source.close()
    if built.cleanup is not None:
        built.cleanup()
print("keyring" in sys.modules)
"""


def test_the_demo_never_touches_the_os_keyring(data_home: Path) -> None:
    # Its throwaway keys live in memory; loading the keyring package at all would cost the
    # demo's first figures about 30 ms and 2 MB for nothing.
    done = subprocess.run([sys.executable, "-c", DEMO_FETCH], capture_output=True, text=True,
                          env=dict(os.environ), timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    statuses, loaded = done.stdout.splitlines()
    assert statuses == "ok ok"
    assert loaded == "False"
