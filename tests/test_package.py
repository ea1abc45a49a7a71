"""What importing `balance_desk` itself promises (`balance_desk/__init__.py`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

VALIDATE_A_BALANCE = """
from decimal import Decimal
import balance_desk.model as model
from balance_desk.config import Settings
Settings()
print(model.CryptoBalance(currency="BTC", available=Decimal("1"), reserved=Decimal("0"),
                          total=Decimal("1")).currency)
"""


def test_no_pydantic_plugin_sees_the_users_figures(tmp_path: Path) -> None:
    # An installed package can declare a pydantic plugin that watches every model validated;
    # ours carry the user's balances, so none is ever loaded (looking for them also cost each
    # process about 50 ms at start).
    site = tmp_path / "site"
    info = site / "spy_plugin-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: spy-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pydantic]\nspy = spy_plugin:plugin\n")
    marker = tmp_path / "loaded"
    (site / "spy_plugin.py").write_text(
        f"import pathlib\npathlib.Path({str(marker)!r}).write_text('seen')\n"
        "class Plugin:\n"
        "    def new_schema_validator(self, *args, **kwargs):\n"
        "        return None, None, None\n"
        "plugin = Plugin()\n"
    )
    env = dict(os.environ, PYTHONPATH=str(site))
    env.pop("PYDANTIC_DISABLE_PLUGINS", None)
    done = subprocess.run([sys.executable, "-c", VALIDATE_A_BALANCE], capture_output=True,
                          text=True, env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "BTC"
    assert not marker.exists()
