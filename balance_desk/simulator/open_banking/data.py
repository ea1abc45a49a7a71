"""The accounts the bank simulator serves, as raw OBIE JSON so tests compare the exact digits.

Chosen to cover what users get wrong elsewhere: credit lines included and not (the standard's
worked examples), a Debit balance, a credit card (and one reported the pre-2026 way, as `Loan`),
plain-integer and five-decimal amounts, several currencies and time-zone spellings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

IBAN = "GB33REVO00996912345678"  # currency sub-accounts share it: key on AccountId


@dataclass
class SimAccount:
    account: dict[str, Any]
    balances: list[dict[str, Any]] = field(default_factory=list)

    @property
    def account_id(self) -> str:
        return str(self.account["AccountId"])


def _account(  # noqa: PLR0917 - data rows read best positionally
    account_id: str,
    currency: str,
    account_type: str,
    subtype: str,
    nickname: str | None,
    scheme: str,
    identification: str,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "AccountId": account_id,
        "Currency": currency,
        "AccountType": account_type,
        "AccountSubType": subtype,
        "Account": [
            {"SchemeName": scheme, "Identification": identification, "Name": "Jane Doe"}
        ],
    }
    if nickname is not None:
        doc["Nickname"] = nickname
    return doc


def balance(  # noqa: PLR0917 - data rows read best positionally
    account_id: str,
    kind: str,
    indicator: str,
    amount: str,
    currency: str,
    when: str = "2026-11-21T08:32:02.775972Z",
    lines: list[tuple[bool, str, str]] | None = None,
    line_currency: str | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "AccountId": account_id,
        "CreditDebitIndicator": indicator,
        "Type": kind,
        "DateTime": when,
        "Amount": {"Amount": amount, "Currency": currency},
    }
    if lines:
        doc["CreditLine"] = [
            {
                "Included": included,
                "Type": line_type,
                "Amount": {"Amount": line_amount, "Currency": line_currency or currency},
            }
            for included, line_type, line_amount in lines
        ]
    return doc


def default_accounts() -> list[SimAccount]:
    gbp = "acc-gbp-main"
    eur = "acc-eur-main"
    usd = "acc-usd"
    card = "acc-card"
    loan = "acc-card-legacy"
    chf = "acc-chf-reserve"
    jpy = "acc-jpy-ops"
    return [
        SimAccount(
            _account(gbp, "GBP", "Personal", "CurrentAccount", "Main GBP",
                     "UK.OBIE.SortCodeAccountNumber", "04290953215338"),
            [
                # 300 with an unused 500 overdraft, described twice.
                balance(gbp, "InterimAvailable", "Credit", "300.00", "GBP",
                        lines=[(False, "Available", "500.00"), (False, "Pre-Agreed", "500.00")]),
                balance(gbp, "InterimBooked", "Credit", "300.00", "GBP"),
            ],
        ),
        SimAccount(
            _account(eur, "EUR", "Personal", "CurrentAccount", "Euro", "UK.OBIE.IBAN", IBAN),
            [
                # The same with a temporary 500 line already inside the amount.
                balance(eur, "InterimAvailable", "Credit", "800.00", "EUR",
                        "2026-11-21T09:32:02+01:00", lines=[(True, "Temporary", "500.00")]),
                balance(eur, "InterimBooked", "Credit", "300.00", "EUR"),
                balance(eur, "Expected", "Credit", "812.34567", "EUR", "2026-11-22T00:00:00Z"),
            ],
        ),
        SimAccount(
            _account(usd, "USD", "Personal", "CurrentAccount", None, "UK.OBIE.IBAN", IBAN),
            [
                # After spending 400: a debit with 400 of the overdraft left.
                balance(usd, "InterimAvailable", "Debit", "100.00", "USD",
                        "2026-11-21T03:32:02.1-05:00", lines=[(False, "Available", "400.00")]),
            ],
        ),
        SimAccount(
            _account(card, "GBP", "Personal", "CreditCard", "Credit card",
                     "UK.OBIE.PAN", "5555********4444"),
            [
                # "Available" on a card is the unused limit, not money owned.
                balance(card, "InterimAvailable", "Credit", "1749.25", "GBP",
                        lines=[(True, "Available", "2000.00")]),
                balance(card, "InterimBooked", "Debit", "250.75", "GBP"),
            ],
        ),
        SimAccount(
            _account(loan, "EUR", "Personal", "Loan", "Old card", "UK.OBIE.PAN",
                     "4111********1111"),
            [
                balance(loan, "InterimAvailable", "Credit", "950.00", "EUR",
                        lines=[(True, "Available", "1000.00")]),
                balance(loan, "InterimBooked", "Debit", "50", "EUR"),
            ],
        ),
        SimAccount(
            _account(chf, "CHF", "Business", "Savings", "Reserve", "UK.OBIE.IBAN",
                     "GB94REVO00996998765432"),
            [
                balance(chf, "InterimAvailable", "Credit", "1234", "CHF"),
                balance(chf, "ClosingBooked", "Credit", "12000000.5", "CHF",
                        "2026-11-20T23:59:59.9999999Z"),
            ],
        ),
        SimAccount(
            _account(jpy, "JPY", "Business", "CurrentAccount", "Tokyo office", "UK.OBIE.IBAN",
                     "GB94REVO00996998765433"),
            [
                # A credit line in another currency never changes the derived amounts.
                balance(jpy, "InterimAvailable", "Credit", "150000", "JPY",
                        lines=[(False, "Available", "100.00")], line_currency="GBP"),
            ],
        ),
    ]


def generated_accounts(count: int) -> list[SimAccount]:
    """`count` GBP accounts with alternately 1 and 3 balances (so 1 or 2 pages of 2)."""
    accounts = []
    for i in range(count):
        account_id = f"acc-{i:04d}"
        kinds = ["InterimAvailable"] if i % 2 == 0 else [
            "InterimAvailable", "InterimBooked", "Expected"
        ]
        accounts.append(
            SimAccount(
                _account(account_id, "GBP", "Business", "CurrentAccount", f"Account {i}",
                         "UK.OBIE.SortCodeAccountNumber", f"0429095{i:07d}"),
                [balance(account_id, kind, "Credit", f"{i}.{i % 100:02d}", "GBP")
                 for kind in kinds],
            )
        )
    return accounts


def second_bank_accounts() -> list[SimAccount]:
    """Another bank's accounts (a savings account and a joint current account), for two
    connections at once."""
    savings = "nw-savings-01"
    joint = "nw-joint-02"
    return [
        SimAccount(
            _account(savings, "GBP", "Personal", "Savings", "Rainy day",
                     "UK.OBIE.SortCodeAccountNumber", "20000012345678"),
            [balance(savings, "InterimAvailable", "Credit", "5250.00", "GBP")],
        ),
        SimAccount(
            _account(joint, "GBP", "Personal", "CurrentAccount", "Joint",
                     "UK.OBIE.SortCodeAccountNumber", "20000087654321"),
            [
                balance(joint, "InterimAvailable", "Credit", "812.40", "GBP"),
                balance(joint, "InterimBooked", "Credit", "790.10", "GBP"),
            ],
        ),
    ]
