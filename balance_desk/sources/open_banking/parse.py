"""Reading OBIE v3.1 (and v4) account, balance and error documents into our models.

Strict where money is concerned (ASCII digits in the standard's amount pattern, a three-letter
ASCII currency code, `Credit` or `Debit` exactly, a time zone), lenient about what may be
missing or unknown: an unknown `Type` or `AccountSubType` is kept and shown as it comes, an
account without `Currency` or types still has its balances read, a credit line without an
amount is kept as "amount not reported".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from balance_desk.errors import ProtocolError
from balance_desk.model import AccountIdentifier, BankAccount, BankBalance, CreditLine
from balance_desk.sources.http import describe_body, server_words

# OBIE v3.1: ^\d{1,13}\.\d{1,5}$; v3.1.10 also allows a plain integer. ASCII digits only:
# Python's \d (and Decimal) would take Arabic-Indic or full-width digits too.
AMOUNT_PATTERN = re.compile(r"[0-9]{1,13}(?:\.[0-9]{1,5})?")
CURRENCY_PATTERN = re.compile(r"[A-Z]{3}")
INDICATORS = ("Credit", "Debit")
_DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(Z|z|[+-]\d{2}:?\d{2})"
)
MAX_ACCOUNT_ID = 40


@dataclass(frozen=True)
class ParsedAccount:
    """An account from `GET /accounts`; `problem` is set when a field broke the schema, in which
    case its balances are not fetched and the account is reported as failed."""

    account: BankAccount
    problem: ProtocolError | None = None


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_url: str | None


def decode_json(body: bytes, *, what: str, content_type: str | None = None) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        if body.lstrip()[:1] in (b"{", b"["):
            kind = "not valid JSON (it may have been cut off)"
        else:  # an HTML page, an empty answer, plain text: said as what it is
            kind = describe_body(body, content_type)
        raise ProtocolError(f"The bank's answer to {what} is {kind}.") from exc


def read_page(doc: Any, *, collection: str, what: str) -> Page:
    """`Data.<collection>` and `Links.Next` of one page."""
    data = doc.get("Data") if isinstance(doc, dict) else None
    if not isinstance(data, dict):
        raise ProtocolError(f"The bank's answer to {what} has no Data object.")
    items = data.get(collection, [])
    if not isinstance(items, list):
        raise ProtocolError(f"The bank's answer to {what} has a Data.{collection} that is no list.")
    links = doc.get("Links")
    next_url = links.get("Next") if isinstance(links, dict) else None
    if next_url is not None and not isinstance(next_url, str):
        raise ProtocolError(f"The bank's answer to {what} has a Links.Next that is no URL.")
    return Page(items=items, next_url=next_url or None)


def parse_account(raw: Any, index: int) -> ParsedAccount:
    if not isinstance(raw, dict):
        raise ProtocolError(f"Account entry {index + 1} from the bank is not an object.")
    account_id = raw.get("AccountId")
    if not isinstance(account_id, str) or not 1 <= len(account_id) <= MAX_ACCOUNT_ID:
        raise ProtocolError(
            f"Account entry {index + 1} from the bank has no usable AccountId "
            f"(1 to {MAX_ACCOUNT_ID} characters)."
        )
    currency = raw.get("Currency")
    nickname = _opt_str(raw.get("Nickname"))
    identifiers: list[AccountIdentifier] = []
    problems: list[str] = []
    for pos, ident in enumerate(_as_list(raw.get("Account"))):
        if (
            isinstance(ident, dict)
            and isinstance(ident.get("SchemeName"), str)
            and isinstance(ident.get("Identification"), str)
        ):
            identifiers.append(
                AccountIdentifier(
                    scheme_name=ident["SchemeName"],
                    identification=ident["Identification"],
                    name=_opt_str(ident.get("Name")),
                    secondary_identification=_opt_str(ident.get("SecondaryIdentification")),
                )
            )
        else:
            problems.append(f"Account[{pos}] lacks SchemeName or Identification")
    valid_currency = isinstance(currency, str) and bool(CURRENCY_PATTERN.fullmatch(currency))
    if currency is not None and not valid_currency:
        problems.insert(0, f"Currency {_shown(currency)} is not a three-letter ISO 4217 code")
    account = BankAccount(
        account_id=account_id,
        currency=currency if valid_currency else None,
        account_type=_opt_str(raw.get("AccountType")),
        account_subtype=_opt_str(raw.get("AccountSubType")),
        nickname=nickname,
        identifiers=tuple(identifiers),
    )
    if not problems:
        return ParsedAccount(account)
    return ParsedAccount(
        account, ProtocolError(f"{_label(account)}: {'; '.join(problems)}.")
    )


def parse_balance(raw: Any, account: BankAccount, index: int) -> BankBalance:
    where = f"{_label(account)}: Balance[{index}]"
    if not isinstance(raw, dict):
        raise ProtocolError(f"{where} is not an object.")
    other_id = raw.get("AccountId")
    if other_id is not None and other_id != account.account_id:
        raise ProtocolError(
            f"{where}.AccountId is {_shown(other_id)}, not the account that was asked for."
        )
    indicator = raw.get("CreditDebitIndicator")
    kind = raw.get("Type")
    if indicator not in INDICATORS:
        raise ProtocolError(
            f"{where}.CreditDebitIndicator is {_shown(indicator)}, not exactly Credit or Debit; "
            "the sign of the amount cannot be known."
        )
    if not isinstance(kind, str) or not kind:
        raise ProtocolError(f"{where}.Type is missing.")
    amount, currency = _money(raw.get("Amount"), f"{where}.Amount")
    lines: list[CreditLine] = []
    for pos, line in enumerate(_as_list(raw.get("CreditLine"))):
        lines.append(_credit_line(line, f"{where}.CreditLine[{pos}]"))
    return BankBalance(
        type=kind,
        credit_debit="Credit" if indicator == "Credit" else "Debit",
        amount=amount,
        currency=currency,
        date_time=parse_datetime(raw.get("DateTime"), f"{where}.DateTime"),
        credit_lines=tuple(lines),
    )


def _credit_line(raw: Any, where: str) -> CreditLine:
    if not isinstance(raw, dict):
        raise ProtocolError(f"{where} is not an object.")
    included = raw.get("Included")
    if not isinstance(included, bool):
        raise ProtocolError(f"{where}.Included is {_shown(included)}, not true or false.")
    raw_amount = raw.get("Amount")
    amount: Decimal | None = None
    currency: str | None = None
    if raw_amount is not None:  # only Included is required; a line without one is kept
        amount, currency = _money(raw_amount, f"{where}.Amount")
    kind = raw.get("Type")
    return CreditLine(
        included=included,
        # The standard makes Type optional; an untyped line is still money.
        type=kind if isinstance(kind, str) else "",
        amount=amount,
        currency=currency,
    )


def _money(raw: Any, where: str) -> tuple[Decimal, str]:
    if not isinstance(raw, dict):
        raise ProtocolError(f"{where} is missing.")
    amount = raw.get("Amount")
    currency = raw.get("Currency")
    if not isinstance(amount, str) or not AMOUNT_PATTERN.fullmatch(amount):
        raise ProtocolError(
            f"{where}.Amount {_shown(amount)} is not a decimal amount as the standard defines "
            "it (digits, optionally a point and up to 5 decimals, as a string)."
        )
    if not isinstance(currency, str) or not CURRENCY_PATTERN.fullmatch(currency):
        raise ProtocolError(
            f"{where}.Currency {_shown(currency)} is not a three-letter ISO 4217 code."
        )
    return Decimal(amount), currency


def parse_datetime(raw: Any, where: str) -> datetime:
    """ISO 8601 with a time zone; fractions beyond microseconds are cut, never rounded up."""
    match = _DATETIME.fullmatch(raw) if isinstance(raw, str) else None
    if match is None:
        raise ProtocolError(
            f"{where} {_shown(raw)} is not an ISO 8601 date-time with a time zone."
        )
    day, clock, fraction, zone = match.groups()
    if len(clock) == 5:
        clock += ":00"
    if zone in ("Z", "z"):
        zone = "+00:00"
    elif ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    text = f"{day}T{clock}{'.' + fraction[:6].ljust(6, '0') if fraction else ''}{zone}"
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise ProtocolError(f"{where} {_shown(raw)} is not a valid date-time.") from exc


def obie_error(body: bytes) -> tuple[str | None, str | None]:
    """(message, Id) from an OBErrorResponse1, or (None, None) for `{}`, HTML or anything else."""
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None, None
    if not isinstance(doc, dict):
        return None, None
    parts: list[str] = []
    codes: list[str] = []
    message = doc.get("Message")
    top = message.strip() if isinstance(message, str) else ""
    if top:
        parts.append(top)
    for item in _as_list(doc.get("Errors")):
        if not isinstance(item, dict):
            continue
        code, text = item.get("ErrorCode"), item.get("Message")
        code = code if isinstance(code, str) and code else None
        text = text.strip() if isinstance(text, str) and text.strip() else None
        if text and text != top:
            parts.append(f"{code}: {text}" if code else text)
        elif code:
            codes.append(code)
    if codes:
        parts[-1:] = [f"{parts[-1]} ({', '.join(codes)})" if parts else ", ".join(codes)]
    # OAuth-style answers from /token.
    for key in ("error_description", "error"):
        value = doc.get(key)
        if isinstance(value, str) and value and not parts:
            parts.append(value)
    error_id = doc.get("Id")
    shown_id = server_words(error_id, 100) if isinstance(error_id, str) else None
    # A server's words reach terminals and the window: no escape sequences, no runaway length.
    return (server_words("; ".join(parts)) or None), (shown_id or None)


def _label(account: BankAccount) -> str:
    if account.nickname:
        return f"Account '{account.nickname}' ({account.account_id})"
    return f"Account {account.account_id}"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _shown(value: Any) -> str:
    if value is None:
        return "(missing)"
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
