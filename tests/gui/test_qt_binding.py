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


AFTER_QT = """
import linecache, sys
import balance_desk.gui  # imports Qt first, as the app does
import balance_desk.config, balance_desk.gui.tasks
feature = sys.modules["shibokensupport.feature"]
# What PySide6 calls for a module it has not seen yet.
feature.feature_imported(balance_desk.config)
feature.feature_imported(balance_desk.gui.tasks)
print(feature.pyside_feature_dict.get("balance_desk.config"),
      feature.pyside_feature_dict.get("balance_desk.gui.tasks"),
      sum(1 for name in linecache.cache if "balance_desk" in name))
"""


def test_modules_imported_after_qt_are_not_kept_as_source(data_home: Path) -> None:
    # PySide6 reads the source of every module imported after it, to see whether it uses Qt;
    # through inspect that kept every line in memory for good (8 MB, 80 ms at start). The
    # answer must stay the same: our GUI modules use Qt, the others do not.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", AFTER_QT], capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-1000:]
    config_flag, gui_flag, kept = done.stdout.split()
    assert (config_flag, gui_flag) == ("-1", "0")
    assert kept == "0"
