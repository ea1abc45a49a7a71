"""Bank balances over the UK Open Banking (OBIE v3.1) API: Revolut and other banks that publish it.

One fetch lists the accounts and reads each account's balances, several accounts at a time.
Unattended fetches obey the 4-a-day quota through the ledger in the data directory and reuse the
account list the last fetch saw, so the whole daily allowance goes to balances.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx
from cryptography import x509
from pydantic import TypeAdapter, ValidationError

from balance_desk.config import BankSettings, atomic_write_text
from balance_desk.credentials import CredentialStore
from balance_desk.errors import ConfigError, InternalError, RateLimitedError, SourceError
from balance_desk.model import (
    AccountResult,
    BankAccount,
    BankBalance,
    BankResult,
    ConnectionResult,
    ErrorInfo,
)
from balance_desk.paths import move_aside
from balance_desk.sources.base import SourceName
from balance_desk.sources.http import Deadlines, check_api_root, error_without_secrets
from balance_desk.sources.open_banking.client import (
    NEW_CONSENT,
    BankClient,
    Presence,
    RateGate,
    customer_ip,
    ssl_context,
)
from balance_desk.sources.open_banking.parse import ParsedAccount, parse_account, parse_balance
from balance_desk.sources.open_banking.quota import QUOTA_FILE, QuotaLedger

ACCOUNTS_CACHE_FILE = "bank-accounts.json"
# Eight requests in flight: at 100-300 ms per answer that stays well under the bank's 100/s.
DEFAULT_CONCURRENCY = 8
# The bank allows 100 requests per second per application; keep a margin.
DEFAULT_MAX_RATE = 90.0

log = logging.getLogger(__name__)
_accounts_adapter = TypeAdapter(list[BankAccount])


def _now() -> datetime:
    return datetime.now(UTC)


class QuotaSkip(Exception):
    def __init__(self, next_allowed_at: datetime) -> None:
        super().__init__(next_allowed_at.isoformat())
        self.next_allowed_at = next_allowed_at


def api_root_and_id(settings: BankSettings) -> tuple[str, str]:
    return settings.api_root, settings.fapi_financial_id


def accounts_file(settings: BankSettings) -> str:
    """The file keeping the account list this connection's last fetch saw."""
    return ACCOUNTS_CACHE_FILE.replace(".json", f"{settings.file_suffix}.json")


def quota_file(settings: BankSettings) -> str:
    """This connection's own ledger of unattended requests."""
    return QUOTA_FILE.replace(".json", f"{settings.file_suffix}.json")


class OpenBankingSource:
    name: SourceName = "bank"

    def __init__(
        self,
        store: CredentialStore,
        settings: BankSettings,
        data_dir: Path,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        max_rate: float = DEFAULT_MAX_RATE,
        clock: Callable[[], datetime] = _now,
        deadlines: Deadlines | None = None,
    ) -> None:
        self._deadlines = deadlines
        self._store = store
        self._settings = settings
        self._data_dir = data_dir
        self._concurrency = max(1, concurrency)
        self._gate = RateGate(max_rate)
        self._clock = clock
        self._ledger = QuotaLedger(data_dir, clock=clock, file_name=quota_file(settings))
        self._entry = settings.entry
        self._lock = threading.Lock()
        self._customer_ip: str | None = None

    def is_configured(self) -> bool:
        try:
            return self._store.get_bank(self._entry) is not None
        except ConfigError:
            return True  # something is stored; fetch() will say what is wrong with it

    def close(self) -> None:
        """Nothing to release: each fetch opens and closes its own connections."""

    @property
    def connection_name(self) -> str:
        return self._settings.connection_name

    @property
    def is_named(self) -> bool:
        """Connected through the consent flow (not the first bank of `keys set bank`)."""
        return bool(self._settings.name)

    def fetch(self, *, user_present: bool) -> BankResult:
        with self._lock:
            self._secrets: set[str] = set()
            self._consent_dates: tuple[datetime | None, datetime | None] = (None, None)
            try:
                result = self._fetch(user_present)
            except SourceError as exc:
                info = error_without_secrets(exc.to_info(), self._secrets)
                log.warning("Bank fetch failed (%s): %s", self.connection_name, info.message)
                result = BankResult(status="error", error=info, fetched_at=self._clock())
            except Exception as exc:  # a bug: this source's failure, never anyone else's
                log.exception("Bank fetch failed unexpectedly")
                failure = InternalError.from_bug(exc, "the bank")
                result = BankResult(
                    status="error", error=failure.to_info(), fetched_at=self._clock()
                )
            return self._labelled(_without_secrets(result, self._secrets))

    def _labelled(self, result: BankResult) -> BankResult:
        """Each account names its connection; the result says how this connection went."""
        name = self.connection_name
        if self.is_named and result.error is not None and NEW_CONSENT in result.error.message:
            # This connection was made in the app: renewing it is one click away.
            words = result.error.message.replace(
                NEW_CONSENT,
                f"Renew the connection: Keys… → Banks → Renew…, or `balance-desk bank renew "
                f"{name}`.",
            )
            result = result.model_copy(
                update={"error": result.error.model_copy(update={"message": words})}
            )
        accounts = tuple(
            a.model_copy(update={"account": a.account.model_copy(update={"connection": name})})
            for a in result.accounts
        )
        line = ConnectionResult(
            name=name,
            status=result.status,
            error=result.error,
            consent_expires_at=self._consent_dates[0],
            refresh_expires_at=self._consent_dates[1],
        )
        return result.model_copy(update={"accounts": accounts, "connections": (line,)})

    def known_accounts(self) -> list[BankAccount]:
        """The account list this connection's last successful fetch saw (for showing its
        accounts as not refreshed when it fails); empty when there is none."""
        path = self._data_dir / accounts_file(self._settings)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            accounts = _accounts_adapter.validate_python(doc.get("accounts"))
        except (OSError, ValueError, AttributeError, ValidationError, RecursionError):
            return []
        return [a.model_copy(update={"connection": self.connection_name}) for a in accounts]

    # --- one fetch ------------------------------------------------------------------------------

    def _fetch(self, user_present: bool) -> BankResult:
        creds = self._store.get_bank(self._entry)
        settings = self._settings
        if creds is None:
            return BankResult(status="not_configured", fetched_at=self._clock())
        self._consent_dates = (creds.consent_expires_at, creds.refresh_expires_at)
        # A server may echo our headers or form back: none of these may reach the screen.
        self._secrets.update(creds.secrets)
        if not settings.cert_path or not settings.key_path:
            raise ConfigError(
                "The bank tokens are stored but no transport certificate is set: run "
                "`balance-desk keys set bank --cert PATH --key PATH`."
            )
        url, financial_id = api_root_and_id(settings)
        root = check_api_root(url, service="bank")
        if not root.startswith("https://"):
            raise ConfigError(f"The bank API root {root} must be https:// (mutual TLS).")
        self._check_certificate(settings.cert_path)
        context = ssl_context(
            settings.cert_path, settings.key_path, creds.key_passphrase, settings.ca_bundle
        )
        identity = hashlib.sha256(
            f"{root}|{financial_id}|{creds.client_id or ''}".encode()
        ).hexdigest()[:16]
        if user_present:
            self._ledger.mark_user_present()
            if self._customer_ip is None:
                parsed = httpx.URL(root)
                self._customer_ip = customer_ip(parsed.host, parsed.port or 443)
        presence = Presence(
            user_present=user_present,
            last_logged=None if user_present else self._ledger.last_user_present_at(),
            customer_ip=self._customer_ip if user_present else None,
        )
        client = BankClient(
            api_root=root,
            financial_id=financial_id,
            context=context,
            credentials=creds,
            save_credentials=lambda fresh: self._store.set_bank(fresh, self._entry),
            # One more than the workers: the account list pages load beside them.
            max_connections=self._concurrency + 1,
            gate=self._gate,
            clock=self._clock,
            deadlines=self._deadlines,
        )
        try:
            client.refresh_if_expiring()
            return _Fetch(self, client, presence, identity).run()
        finally:
            fresh = client.credentials
            self._secrets.update(s for s in (fresh.access_token, fresh.refresh_token) if s)
            client.close()

    def _check_certificate(self, cert_path: str) -> None:
        path = Path(cert_path).expanduser()
        try:
            cert = x509.load_pem_x509_certificate(path.read_bytes())
        except (OSError, ValueError):
            return  # ssl_context() explains unreadable files in full
        now = self._clock()
        if cert.not_valid_after_utc <= now:
            raise ConfigError(
                f"The transport certificate {path} expired on "
                f"{cert.not_valid_after_utc:%Y-%m-%d}; the bank will refuse it. Get a new one "
                "and run `balance-desk keys set bank --cert PATH --key PATH`."
            )

    # --- the account list the last fetch saw, for unattended fetches ------------------------------

    def _cached_accounts(self, identity: str) -> list[BankAccount] | None:
        """The account list the last fetch saw; None when there is none (it is then read from
        the bank). A damaged file is moved aside, and said so in the log."""
        path = self._data_dir / accounts_file(self._settings)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            return None
        except UnicodeDecodeError as exc:
            return self._damaged_cache(path, exc)
        try:
            doc = json.loads(text)
            if doc.get("identity") != identity:
                return None
            return _accounts_adapter.validate_python(doc.get("accounts"))
        except (ValueError, AttributeError, ValidationError, RecursionError) as exc:
            return self._damaged_cache(path, exc)

    @staticmethod
    def _damaged_cache(path: Path, exc: Exception) -> None:
        aside = move_aside(path)
        log.warning(
            "The saved bank account list %s was damaged (%s)%s; it is read from the bank again.",
            path, type(exc).__name__, f" and was moved aside to {aside.name}" if aside else "",
        )

    def _save_accounts(self, identity: str, accounts: list[BankAccount]) -> None:
        doc = {
            "identity": identity,
            "accounts": _accounts_adapter.dump_python(accounts, mode="json"),
        }
        try:
            atomic_write_text(
                self._data_dir / accounts_file(self._settings), json.dumps(doc) + "\n"
            )
        except OSError as exc:
            log.warning("Could not save the bank account list: %s", exc.strerror)


def _without_secrets(result: BankResult, secrets: set[str]) -> BankResult:
    if not secrets or (result.error is None and all(a.error is None for a in result.accounts)):
        return result
    accounts = tuple(
        a if a.error is None else a.model_copy(
            update={"error": error_without_secrets(a.error, secrets)}
        )
        for a in result.accounts
    )
    error = None if result.error is None else error_without_secrets(result.error, secrets)
    return result.model_copy(update={"error": error, "accounts": accounts})


def unread_words(failed: int, total: int) -> str:
    """"1 of 7 accounts could not be read", "The account could not be read", "None of the 3
    accounts could be read": never a double negative, never "1 accounts"."""
    if failed < total:
        return f"{failed} of {total} account{'s' if total > 1 else ''} could not be read"
    if total == 1:
        return "The account could not be read"
    return f"None of the {total} accounts could be read"


class _Fetch:
    """The accounts, then every account's balances, bounded in concurrency and quota-aware."""

    def __init__(
        self, source: OpenBankingSource, client: BankClient, presence: Presence, identity: str
    ) -> None:
        self.source = source
        self.client = client
        self.presence = presence
        self.identity = identity
        self.ledger = source._ledger

    def _reserver(self, endpoint: str, account_id: str) -> Callable[[], None] | None:
        if self.presence.user_present:
            return None
        key = self.ledger.key(self.identity, endpoint, account_id)

        def reserve() -> None:
            blocked = self.ledger.try_reserve(key)
            if blocked is not None:
                raise QuotaSkip(blocked)

        return reserve

    def run(self) -> BankResult:
        order: list[ParsedAccount] = []
        jobs: dict[str, Future[AccountResult]] = {}
        list_error: SourceError | None = None
        cached = None if self.presence.user_present else self.source._cached_accounts(
            self.identity
        )
        with ThreadPoolExecutor(
            max_workers=self.source._concurrency, thread_name_prefix="bank"
        ) as pool:

            def start(parsed: ParsedAccount) -> None:
                if parsed.account.account_id in jobs:
                    return  # the same account on two pages is read once
                order.append(parsed)
                if parsed.problem is None:
                    jobs[parsed.account.account_id] = pool.submit(self._balances, parsed.account)

            if cached is not None:
                for account in cached:
                    start(ParsedAccount(account))
            else:
                try:
                    # Balances of the first page's accounts load while later pages are fetched.
                    for page in self.client.pages(
                        "/accounts",
                        collection="Account",
                        presence=self.presence,
                        before_request=self._reserver("accounts", "*"),
                    ):
                        for index, raw in enumerate(page.items):
                            start(parse_account(raw, len(order) + index))
                except QuotaSkip as skip:
                    list_error = RateLimitedError(
                        "The bank's unattended allowance for the account list is used up (4 a "
                        f"day); it is allowed again at {skip.next_allowed_at:%Y-%m-%d %H:%M %Z}. "
                        "Open the app or run `balance-desk snapshot` to read it now.",
                        retry_at=skip.next_allowed_at,
                    )
                except SourceError as exc:
                    list_error = exc
            results = [
                jobs[p.account.account_id].result()
                if p.problem is None
                else AccountResult(account=p.account, status="error", error=p.problem.to_info())
                for p in order
            ]
        if list_error is None and cached is None:
            self.source._save_accounts(self.identity, [p.account for p in order])
        return self._summary(results, list_error)

    def _balances(self, account: BankAccount) -> AccountResult:
        path = f"/accounts/{quote(account.account_id, safe='')}/balances"
        balances: list[BankBalance] = []
        try:
            for page in self.client.pages(
                path,
                collection="Balance",
                presence=self.presence,
                before_request=self._reserver("balances", account.account_id),
            ):
                for raw in page.items:
                    balances.append(parse_balance(raw, account, len(balances)))
        except QuotaSkip as skip:
            return AccountResult(
                account=account, status="quota", next_allowed_at=skip.next_allowed_at
            )
        except SourceError as exc:
            return AccountResult(account=account, status="error", error=exc.to_info())
        return AccountResult(account=account, status="ok", balances=tuple(balances))

    def _summary(
        self, results: list[AccountResult], list_error: SourceError | None
    ) -> BankResult:
        now = self.source._clock()
        failed = [r for r in results if r.status == "error"]
        if list_error is not None:
            return BankResult(
                status="error", error=list_error.to_info(), accounts=tuple(results), fetched_at=now
            )
        if not failed:
            skipped = bool(results) and all(r.status == "quota" for r in results)
            return BankResult(
                status="quota" if skipped else "ok", accounts=tuple(results), fetched_at=now
            )
        first = failed[0]
        assert first.error is not None
        summary = ErrorInfo(
            kind=first.error.kind,
            message=f"{unread_words(len(failed), len(results))}; "
            f"{first.account.display_name}: {first.error.message}",
            http_status=first.error.http_status,
            error_id=first.error.error_id,
            server_message=first.error.server_message,
            retry_at=first.error.retry_at,
        )
        return BankResult(status="error", error=summary, accounts=tuple(results), fetched_at=now)
