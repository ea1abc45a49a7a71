"""A threaded HTTP/1.1 keep-alive server that only ever listens on loopback.

Shared by the API simulators: start/stop from tests or the CLI, a context manager, and a stop
that does not hang on idle keep-alive connections.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from balance_desk.sources.http import is_loopback_host

log = logging.getLogger(__name__)


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, no Nagle delay, access lines to the debug log (never stderr)."""

    protocol_version = "HTTP/1.1"
    # Without this every keep-alive answer waits ~40 ms for a delayed ACK.
    disable_nagle_algorithm = True
    timeout = 30  # idle keep-alive connections end on their own
    server: LoopbackHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("simulator %s: " + format, self.client_address[0], *args)

    def read_body(self) -> bytes:
        length = self.headers.get("Content-Length", "0")
        return self.rfile.read(int(length)) if length.isdigit() else b""

    def send_bytes(
        self,
        status: int,
        body: bytes,
        *,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_trickle(
        self, status: int, body: bytes, content_type: str, every_s: float, stop: threading.Event
    ) -> None:
        """The headers, then the body one byte every `every_s` (a stuck or very slow server),
        until it is all sent, the client hangs up or the simulator stops."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        try:
            for index in range(len(body)):
                if stop.wait(every_s):
                    break
                self.wfile.write(body[index : index + 1])
                self.wfile.flush()
        except OSError:
            pass  # the client gave up, as it should
        self.close_connection = True

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)


class LoopbackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() ends connections itself instead of waiting for clients

    def __init__(self, address: tuple[str, int], handler: type[QuietHandler]) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def track(self, connection: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-answer is normal in fault tests; never print a traceback.
        log.debug("simulator connection from %s ended with an error", client_address, exc_info=True)


class LoopbackServer:
    """Runs `handler` on 127.0.0.1 in a background thread. Subclasses give the handler access
    to themselves through `handler.server.app`."""

    handler: type[QuietHandler]

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        if not is_loopback_host(host):
            raise ValueError(f"the simulator listens on loopback only, not on {host!r}")
        self._address = (host, port)
        self._server: LoopbackHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.stopping = threading.Event()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        host = self._address[0]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}"

    def start(self) -> Self:
        if self._server is not None:
            return self
        self.stopping.clear()
        server = self._make_server()
        server.app = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def _make_server(self) -> LoopbackHTTPServer:
        """The listening server; a subclass may wrap it (TLS) or prepare files first."""
        return LoopbackHTTPServer(self._address, self.handler)

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self.stopping.set()  # wakes handlers sleeping in a delay fault
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
