#!/usr/bin/env python3
"""Screenshots of every tab on the demo data, under a private Xvfb (a real X server, not the
offscreen platform, so fonts and the style are what a user sees).

    .venv/bin/python scripts/screenshots.py      # docs/screenshot-overview.png, -crypto, -bank
    .venv/bin/python scripts/screenshots.py --size 1024x700   # …-crypto-1024x700.png on a
                                                  # smaller screen (default 1280x800)
    .venv/bin/python scripts/screenshots.py --scale 2   # the same at 200%: docs/screenshot-*@2x.png
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
INSIDE = "BALANCE_DESK_SCREENSHOT_INSIDE"
# The screen, and the window filling it as a user maximises it.
DEFAULT_SIZE = (1280, 800)
SIZE_ENV = "BALANCE_DESK_SCREENSHOT_SIZE"


SCALE = "BALANCE_DESK_SCREENSHOT_SCALE"


def start_xvfb(width: int = 1400, height: int = 900) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("Xvfb")
    if binary is None:
        raise SystemExit("Xvfb is missing: sudo apt-get install xvfb (or bash scripts/setup)")
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        [binary, "-displayfd", str(write), "-screen", "0", f"{width}x{height}x24",
         "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    if not number:
        xvfb.kill()
        raise SystemExit("Xvfb did not start (is the xvfb package installed?)")
    return xvfb, f":{number}"


def outside(argv: list[str]) -> int:
    scale = int(argv[argv.index("--scale") + 1]) if "--scale" in argv else 1
    size = argv[argv.index("--size") + 1] if "--size" in argv else "x".join(map(str, DEFAULT_SIZE))
    width, height = (int(n) for n in size.split("x"))
    xvfb, display = start_xvfb(width * scale, height * scale)
    try:
        with tempfile.TemporaryDirectory(prefix="balance-desk-shots-") as home:
            env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", LANG="en_GB.UTF-8")
            env.update({INSIDE: "1", "BALANCE_DESK_HOME": home, SCALE: str(scale),
                        SIZE_ENV: f"{width}x{height}"})
            if scale != 1:
                env["QT_SCALE_FACTOR"] = str(scale)
            env.pop("WAYLAND_DISPLAY", None)
            return subprocess.run([sys.executable, __file__], env=env, check=False).returncode
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)


def inside() -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from balance_desk.config import Settings
    from balance_desk.gui.app import AppController, demo_factory
    from balance_desk.gui.icons import apply_app_identity

    app = QApplication([sys.argv[0]])
    apply_app_identity(app)
    controller = AppController(
        app,
        factory=demo_factory,
        demo=True,
        settings=Settings(crypto_interval_s=3600, bank_interval_s=3600),
    )
    window = controller.window
    size = os.environ.get(SIZE_ENV, "x".join(map(str, DEFAULT_SIZE)))
    width, height = (int(n) for n in size.split("x"))
    window.resize(width, height)
    controller.show()

    def ready() -> bool:
        updates = [controller.poller.latest(n) for n in ("revolut_x", "bank")]
        return all(u is not None and u.done and not u.refreshing for u in updates)

    def shoot() -> None:
        if not ready():
            QTimer.singleShot(100, shoot)
            return
        # Show the detail pane on a balance with an overdraft (two credit lines).
        bank = window.bank_pane
        for row in range(bank.proxy.rowCount()):
            entry = bank.model.row_at(bank.proxy.mapToSource(bank.proxy.index(row, 0)).row())
            balance = getattr(entry.payload, "balance", None)
            if balance is not None and len(balance.credit_lines) > 1:
                bank.view.setCurrentIndex(bank.proxy.index(row, 2))
                break
        for index, name in ((0, "overview"), (1, "crypto"), (2, "bank"), (3, "history")):
            window.tabs.setCurrentIndex(index)
            for _ in range(5):
                app.processEvents()
            if name == "history":  # the chart loads on a worker thread once shown
                pane = window.history_pane
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and (
                    pane.data is None or pane.data.points < 300 or pane.plot is None
                ):
                    time.sleep(0.2)
                    pane.reload() if pane.data is not None else None
                    for _ in range(10):
                        app.processEvents()
            scale = os.environ.get(SCALE, "1")
            suffix = "" if size == "x".join(map(str, DEFAULT_SIZE)) else f"-{size}"
            suffix += "" if scale == "1" else f"@{scale}x"
            path = DOCS / f"screenshot-{name}{suffix}.png"
            if not window.grab().save(str(path)):
                print(f"could not write {path}", file=sys.stderr)
                app.exit(1)
                return
            print(f"wrote {path.relative_to(ROOT)}")
        window.tabs.setCurrentIndex(0)
        first_paint(app, controller, size, shots)

    shots: list[AppController] = []
    QTimer.singleShot(200, shoot)
    QTimer.singleShot(30_000, lambda: app.exit(1))
    code = app.exec()
    controller.shutdown()
    for later in shots:
        later.shutdown()
    return code


def first_paint(app: Any, before: Any, size: str, shots: list[Any]) -> None:
    """A second start, its servers slow to answer: the last figures from the history."""
    from PySide6.QtCore import QTimer

    from balance_desk.config import Settings
    from balance_desk.gui.app import AppController, demo_factory

    width, height = (int(n) for n in size.split("x"))
    before.shutdown()
    before.window.close()

    class Slow:
        def __init__(self) -> None:
            self.inner = demo_factory()

        def start(self, restored: Any = None) -> object:
            return self.inner.start(restored)

        def restored(self) -> object:
            return self.inner.restored()

        def fetch(self, name: str, user_present: bool) -> object:
            time.sleep(20)
            return self.inner.fetch(name, user_present)  # type: ignore[arg-type]

        def close(self) -> None:
            self.inner.close()

    again = AppController(app, factory=Slow, demo=True,  # type: ignore[arg-type]
                          settings=Settings(crypto_interval_s=3600, bank_interval_s=3600))
    again.window.resize(width, height)
    again.show()
    shots.append(again)

    def grab() -> None:
        update = again.poller.latest("revolut_x")
        if update is None or not update.from_history:
            QTimer.singleShot(100, grab)
            return
        again.window.tabs.setCurrentIndex(1)
        for _ in range(5):
            app.processEvents()
        suffix = "" if size == "x".join(map(str, DEFAULT_SIZE)) else f"-{size}"
        path = DOCS / f"screenshot-first-paint{suffix}.png"
        again.window.grab().save(str(path))
        print(f"wrote {path.relative_to(ROOT)}")
        first_frame(app, size, suffix, shots)

    QTimer.singleShot(200, grab)



def first_frame(app: Any, size: str, suffix: str, shots: list[Any]) -> None:
    """A third start, as the app starts: its very first frame, painted from the last figures
    kept as text, before the tables exist."""
    from balance_desk.gui.app import AppController, FirstPaint, demo_factory

    width, height = (int(n) for n in size.split("x"))
    third = AppController(app, factory=demo_factory, demo=True, defer_setup=True)
    third.window.resize(width, height)
    shots.append(third)

    def grab() -> None:
        path = DOCS / f"screenshot-first-frame{suffix}.png"
        third.window.grab().save(str(path))
        print(f"wrote {path.relative_to(ROOT)}")
        app.quit()

    FirstPaint(third.window, grab)
    third.window.show()


if __name__ == "__main__":
    raise SystemExit(inside() if os.environ.get(INSIDE) else outside(sys.argv[1:]))
