"""The desktop app and a cron `snapshot --unattended` share one ledger: together they never send
more than the bank's 4 unattended requests a day for an account."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from balance_desk.sources.open_banking.quota import UNATTENDED_LIMIT

PROCESSES = 6
KEYS = 30

RESERVE = """
import json, sys
from pathlib import Path
from balance_desk.sources.open_banking.quota import QuotaLedger
ledger = QuotaLedger(Path(sys.argv[1]))
sys.stdin.readline()  # start together
keys = range(int(sys.argv[2]))
won = [k for k in keys if ledger.try_reserve(f"consent|balances|acc-{k}") is None]
print(json.dumps(won))
"""


def test_processes_racing_for_slots_get_at_most_the_limit_together(tmp_path: Path) -> None:
    children = [
        subprocess.Popen(
            [sys.executable, "-c", RESERVE, str(tmp_path), str(KEYS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    wins: dict[int, int] = {}
    for child in children:
        out, _ = child.communicate(timeout=60)
        assert child.returncode == 0
        for key in json.loads(out):
            wins[key] = wins.get(key, 0) + 1
    # Every account got exactly its 4 slots: none lost to an overwrite, none handed out twice.
    assert wins == dict.fromkeys(range(KEYS), UNATTENDED_LIMIT)
    recorded = json.loads((tmp_path / "bank-quota.json").read_text())["requests"]
    assert all(len(stamps) == UNATTENDED_LIMIT for stamps in recorded.values())
    assert len(recorded) == KEYS
