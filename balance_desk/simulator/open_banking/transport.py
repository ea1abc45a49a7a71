"""The bank simulator's transport: a TLS server that demands a client certificate, with the
handshake on each connection's own thread, and the handler that hands requests to the
simulator and writes its replies (whole, or cut short for the truncation fault)."""

from __future__ import annotations

import json
import secrets
import socket
import ssl
from dataclasses import dataclass, field
from typing import Any, Protocol

from balance_desk.simulator.base import LoopbackHTTPServer, QuietHandler


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    truncate_to: int | None = None
    trickle_s: float = 0.0


def obie_error(status: int, code: str, message: str, error_id: str | None = None) -> bytes:
    """An OBErrorResponse1 body as banks send it."""
    reason = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
              429: "Too Many Requests", 500: "Internal Server Error"}.get(status, "Error")
    return json.dumps(
        {
            "Code": f"{status} {reason}",
            "Id": error_id or f"err-{secrets.token_hex(4)}",
            "Message": message,
            "Errors": [{"ErrorCode": code, "Message": message}],
        }
    ).encode()


class BankApp(Protocol):
    """What the transport needs of the simulator behind it (`server.BankSimulator`)."""

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply: ...

    def count_tls_refusal(self) -> None: ...


class TlsServer(LoopbackHTTPServer):
    def __init__(
        self, address: tuple[str, int], handler: type[QuietHandler], context: ssl.SSLContext
    ) -> None:
        super().__init__(address, handler)
        self.context = context

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = self.socket.accept()
        # The handshake runs on the connection's own thread (in the handler's setup), so one
        # slow or refused client never stalls the accept loop.
        wrapped = self.context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return wrapped, addr


class BankHandler(QuietHandler):
    server_version = "BalanceDeskBankSimulator/1"

    @property
    def app(self) -> BankApp:
        return self.server.app  # type: ignore[attr-defined, no-any-return]

    def setup(self) -> None:
        conn = self.request
        assert isinstance(conn, ssl.SSLSocket)
        conn.settimeout(self.timeout)
        try:
            conn.do_handshake()
        except (ssl.SSLError, OSError):
            self.app.count_tls_refusal()
            raise
        super().setup()

    def _serve(self, method: str) -> None:
        body = self.read_body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = self.app.handle(method, self.path, headers, body)
        extra = dict(reply.headers)
        interaction = headers.get("x-fapi-interaction-id")
        if interaction:
            extra.setdefault("x-fapi-interaction-id", interaction)
        if reply.trickle_s:
            stopping = self.server.app.stopping  # type: ignore[attr-defined]
            self.send_trickle(reply.status, reply.body, reply.content_type, reply.trickle_s,
                              stopping)
            return
        if reply.truncate_to is None:
            self.send_bytes(reply.status, reply.body, content_type=reply.content_type,
                            headers=extra)
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body[: reply.truncate_to])
        self.wfile.flush()
        self.close_connection = True

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")
