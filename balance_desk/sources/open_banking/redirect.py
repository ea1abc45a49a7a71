"""Step 5 of the consent flow: the bank sends the browser back to the redirect URI with the code.

Two ways to receive it: a loopback redirect URI (`http://127.0.0.1:PORT/path`) is listened on once,
for a bounded time; any other is pasted back by the user (the URL the browser landed on). Either
way the answer is read from the query or the fragment, and its `state` must be ours.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from balance_desk.errors import AuthError, ConfigError
from balance_desk.sources.http import is_loopback_host, server_words

LISTEN_SECONDS = 300.0
MAX_URL_CHARS = 16_000


def is_loopback_redirect(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and is_loopback_host(parts.hostname or "") and bool(
        parts.port
    )


def redirect_problems(uri: str) -> list[str]:
    parts = urlsplit(uri.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ["The redirect URI must be the http(s) address registered with the bank."]
    if parts.scheme == "http" and not is_loopback_redirect(uri):
        return [
            "A plain http:// redirect URI must be on this computer with a port "
            "(http://127.0.0.1:PORT/...); otherwise use the https:// one registered."
        ]
    if parts.fragment:
        return ["The redirect URI must not have a #fragment."]
    return []


def code_from_redirect(landed: str, state: str, redirect_uri: str) -> str:
    """The code from the URL the browser landed on; a refusal, a foreign `state` or a missing
    code is a sentence saying what to do."""
    text = landed.strip()
    if not text:
        raise ConfigError("Paste the address your browser landed on after approving.")
    if len(text) > MAX_URL_CHARS:
        raise ConfigError("That is far too long to be the address the bank sent you back to.")
    parts = urlsplit(text)
    expected = urlsplit(redirect_uri)
    if (parts.scheme, parts.netloc, parts.path.rstrip("/")) != (
        expected.scheme, expected.netloc, expected.path.rstrip("/")
    ) and parts.scheme:
        raise ConfigError(
            "That address is not the redirect URI the bank was asked to send you back to "
            f"({redirect_uri}); paste the address from the browser's address bar after approving."
        )
    answer: dict[str, str] = {}
    for piece in (parts.query, parts.fragment):  # query or fragment: both are accepted
        for key, values in parse_qs(piece, keep_blank_values=True).items():
            answer.setdefault(key, values[0])
    error = answer.get("error")
    if error:
        said = server_words(answer.get("error_description") or "", 200)
        if error == "access_denied":
            raise AuthError(
                "The consent was not approved (the bank says: access denied"
                f"{f', {said}' if said else ''}). Nothing was stored; connect again to retry."
            )
        raise AuthError(
            f"The bank did not approve the consent ({server_words(error, 60)}"
            f"{f': {said}' if said else ''})."
        )
    if answer.get("state") != state:
        raise AuthError(
            "The answer does not belong to this connection attempt (its state does not match): "
            "it may be from an earlier attempt or from someone else. Nothing was stored; start "
            "again."
        )
    code = answer.get("code")
    if not code:
        raise ConfigError(
            "The address has no approval code: paste the full address from the browser's "
            "address bar after approving."
        )
    return code


_FORWARD_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>Balance Desk</title></head><body><p>Passing the bank's answer to Balance Desk…</p>
<script>/*forward-fragment*/
if (location.hash.length > 1) {
  location.replace(location.pathname + "?" + location.hash.substring(1));
} else { document.body.textContent = "No answer from the bank arrived here."; }
</script></body></html>"""

_DONE_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Balance Desk</title>
</head><body><h1>{title}</h1><p>{text}</p></body></html>"""


class LoopbackReceiver:
    """Listens once on a loopback redirect URI. `start()` binds the port (so a clash is said
    before the browser opens); `wait()` returns the URL the browser brought, or raises when the
    time is up or `cancel()` was called. Stopped in every case."""

    def __init__(self, redirect_uri: str, *, seconds: float = LISTEN_SECONDS) -> None:
        parts = urlsplit(redirect_uri)
        self._uri = redirect_uri
        self._path = parts.path or "/"
        self._address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._seconds = seconds
        self._arrived = threading.Event()
        self._landed: str | None = None
        self._server: ThreadingHTTPServer | None = None
        self._cancelled = False
        self._stop_lock = threading.Lock()

    def start(self) -> LoopbackReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return  # the code is in the path: never logged

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path.rstrip("/") != receiver._path.rstrip("/"):
                    self._send(404, _DONE_PAGE.format(title="Not found", text=""))
                    return
                if not parts.query:
                    self._send(200, _FORWARD_PAGE)
                    return
                receiver._take(f"{receiver._uri.split('?')[0]}?{parts.query}")
                self._send(200, _DONE_PAGE.format(
                    title="Balance Desk received the bank's answer",
                    text=html.escape("You can close this tab and return to Balance Desk."),
                ))

            def _send(self, status: int, page: str) -> None:
                data = page.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

        try:
            self._server = ThreadingHTTPServer(self._address, Handler)
        except OSError as exc:
            raise ConfigError(
                f"Cannot listen on {self._address[0]}:{self._address[1]} for the bank's answer "
                f"({exc.strerror or exc}): another program uses that port. Close it, or paste "
                "the address instead (--no-listen)."
            ) from exc
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
            name="consent-redirect", daemon=True,
        ).start()
        return self

    def _take(self, url: str) -> None:
        if self._landed is None:
            self._landed = url
        self._arrived.set()

    def cancel(self) -> None:
        self._cancelled = True
        self._arrived.set()

    def wait(self, on_tick: Callable[[], bool] | None = None) -> str:
        try:
            waited = 0.0
            while not self._arrived.wait(0.2):
                waited += 0.2
                if waited >= self._seconds or (on_tick is not None and not on_tick()):
                    break
            if self._cancelled or self._landed is None:
                if self._cancelled:
                    raise ConfigError("Connecting the bank was cancelled; nothing was stored.")
                raise ConfigError(
                    f"No answer from the bank arrived within {round(self._seconds / 60)} "
                    "minutes; nothing was stored. Connect again when you are ready to approve."
                )
            return self._landed
        finally:
            self.stop()

    def stop(self) -> None:
        with self._stop_lock:
            server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
