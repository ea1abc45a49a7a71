"""The installed Qt binding keeps Python's reference counts right over a long session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

MANY_CALLS = """
import sys
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication(sys.argv[:1])
label = QLabel()
before = sys.getrefcount(None)
for _ in range(20_000):
    label.setText("x")
    app.processEvents()
print(sys.getrefcount(None) - before)
"""


def test_void_qt_calls_do_not_drain_none(data_home: Path) -> None:
    # A binding that over-releases None on void calls (PySide6 6.12.0) makes a long-running
    # app abort with "deallocating None"; run it apart so such a crash fails only this test.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", MANY_CALLS], capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-1000:]
    assert abs(int(done.stdout.strip())) < 100
