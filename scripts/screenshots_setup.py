"""Screenshots of the key setup dialog and the first-run page, for docs/.

Runs itself under a private Xvfb (real X11 font rendering, no desktop needed):
    .venv/bin/python scripts/screenshots_setup.py [OUTPUT_DIR]
Everything shown comes from the loopback simulators and an in-memory keyring.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INNER = "BALANCE_DESK_SCREENSHOTS_INNER"


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"
    if os.environ.get(INNER):
        return take(out)
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        print("screenshots: Xvfb is needed (apt-get install xvfb)", file=sys.stderr)
        return 1
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write_end), "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 15)
        number = os.read(read_end, 64).decode().strip() if ready else ""
        if not number.isdigit():
            print("screenshots: Xvfb did not start", file=sys.stderr)
            return 1
        with tempfile.TemporaryDirectory() as home:
            env = {k: v for k, v in os.environ.items() if not k.startswith("WAYLAND")}
            env.update(
                DISPLAY=f":{number}", QT_QPA_PLATFORM="xcb", BALANCE_DESK_HOME=home,
                QT_SCALE_FACTOR="1", **{INNER: "1"},
            )
            return subprocess.run(
                [sys.executable, __file__, str(out)], env=env, check=False, cwd=ROOT
            ).returncode
    finally:
        os.close(read_end)
        server.terminate()
        server.wait(timeout=5)


def take(out: Path) -> int:
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication, QWidget

    from balance_desk.credentials import CredentialStore, MemoryKeyring
    from balance_desk.gui.keys.dialog import KeySetupDialog
    from balance_desk.simulator.open_banking.server import BankSimulator
    from balance_desk.simulator.revolut_x.server import RevolutXSimulator

    app = QApplication([])
    app.setApplicationName("Balance Desk")
    out.mkdir(parents=True, exist_ok=True)

    def settle() -> None:
        for _ in range(20):
            QCoreApplication.processEvents()

    def save(widget: QWidget, name: str) -> None:
        settle()
        path = out / name
        widget.grab().save(str(path))
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")

    with RevolutXSimulator() as crypto, BankSimulator() as bank:
        save_generated(KeySetupDialog(CredentialStore(MemoryKeyring())), settle, save)

        dialog = KeySetupDialog(CredentialStore(MemoryKeyring()))
        dialog.resize(700, 640)
        dialog.show()

        # Revolut X: a fresh pair, the public half ready to copy, and a passing test.
        page = dialog.revolut_x
        page.private_key.generate_button.click()
        crypto.register_key(crypto.api_key, page.private_key.public_pem.toPlainText())
        page.api_key.setText(crypto.api_key)
        page.url.setText(crypto.api_root)
        page.advanced.set_open(False)
        wait_for_test(page)
        save(dialog, "key-setup-revolut-x.png")

        # Revolut X: what a wrong paste looks like.
        page.private_key.paste.setPlainText(crypto.public_key_pem)
        page.api_key.setText("")
        page.save_button.click()
        save(dialog, "key-setup-revolut-x-problems.png")

        # Bank: custom bank (the simulator), files checked, a passing test.
        dialog.show_source("bank")
        bank_page = dialog.bank
        tokens = bank.issue_tokens()
        bank_page.preset.setCurrentIndex(2)
        bank_page.url.setText(bank.url)
        bank_page.access_token.setText(tokens.access_token)
        bank_page.refresh_token.setText(tokens.refresh_token)
        bank_page.client_id.setText(tokens.client_id)
        bank_page.cert.setPath(str(bank.tls.client.cert_path))
        bank_page.key.setPath(str(bank.tls.client.key_path))
        bank_page.ca_bundle.setPath(str(bank.tls.ca_cert))
        wait_for_test(bank_page)
        save(dialog, "key-setup-bank.png")
        dialog.hide()  # closing would ask about the generated, unsaved key pair

    save_first_run(out, save)
    return 0


def save_generated(dialog: Any, settle: Any, save: Any) -> None:
    """Right after "Generate new key pair", at the dialog's own size: nothing may overlap."""
    dialog.show()
    settle()
    dialog.revolut_x.private_key.generate_button.click()
    save(dialog, "key-setup-revolut-x-generated.png")
    dialog.hide()  # closing would ask about the generated, unsaved key pair


def wait_for_test(page: object) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    from balance_desk.gui.keys.page import SourcePage

    assert isinstance(page, SourcePage)
    loop = QEventLoop()
    page.tester.finished.connect(loop.quit)
    QTimer.singleShot(20_000, loop.quit)
    page.run_test()
    loop.exec()


def save_first_run(out: Path, save: object) -> None:
    from collections.abc import Callable

    from PySide6.QtWidgets import QWidget

    from balance_desk.config import Settings
    from balance_desk.credentials import no_keyring_message
    from balance_desk.gui.desktop import Desktop
    from balance_desk.gui.window.main_window import MainWindow
    from balance_desk.model import ErrorInfo
    from balance_desk.present.updates import SourceUpdate
    from balance_desk.sources.base import SourceName

    assert callable(save)
    saver: Callable[[QWidget, str], None] = save
    window = MainWindow()
    window.resize(1000, 620)
    Desktop(window, refresh=lambda: None, restart_sources=lambda: None, settings=Settings(),
            use_tray=False)
    window.show()
    names: tuple[SourceName, ...] = ("revolut_x", "bank")
    for name in names:
        window.apply_update(SourceUpdate(source=name, state="not_configured", configured=False))
    saver(window, "first-run.png")
    problem = ErrorInfo(kind="config", message=no_keyring_message("read from the keyring"))
    for name in names:
        window.apply_update(SourceUpdate(source=name, state="error", error=problem))
    saver(window, "first-run-no-keyring.png")
    window.close()


if __name__ == "__main__":
    sys.exit(main())
