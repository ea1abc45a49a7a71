"""Every balance valued in one base currency, exactly: the rates, how each was found, and the
totals (net worth, crypto, bank, and credit available, which is never added).

Pure arithmetic on `Decimal`, no I/O: the rates come in as `RateInputs` (fetched by
`sources.rates`), the balances as the sources reported them. The rules
(`shared/docs/valuation.md`):

- a value is the exact product of amount and rate; a rate derived by division carries 28
  significant digits; only the display rounds (half-even, to the base currency's minor units);
- fiat is valued by the ECB's reference rates (EUR based); crypto by its Revolut X ticker's
  `mid`, directly when a pair with the base exists, else through the ticker's quote currency
  (`BTC -> USD -> GBP`, source `cross`); a stablecoin is crypto, valued by its own ticker;
- no rate, no value: a dash, never zero, and the total names the currencies it leaves out
  (a zero balance is worth zero in any currency and is never "left out").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import MAX_PREC, Decimal, localcontext
from typing import TYPE_CHECKING, Any, Literal

from balance_desk.money import exact_sum, plain

if TYPE_CHECKING:
    from balance_desk.model import BankAccount, BankBalance, CryptoBalance

RateSource = Literal["ticker", "ecb", "cross"]

# The currencies of the ECB's daily reference rates (and EUR itself): the base currency is one
# of them, since every fiat figure is converted through them.
ECB_CURRENCIES = frozenset((
    "EUR", "USD", "JPY", "CZK", "DKK", "GBP", "HUF", "PLN", "RON", "SEK", "CHF", "ISK", "NOK",
    "TRY", "AUD", "BRL", "CAD", "CNY", "HKD", "IDR", "ILS", "INR", "KRW", "MXN", "MYR", "NZD",
    "PHP", "SGD", "THB", "ZAR",
))
# Quote currencies tried, in this order, when no ticker pairs a crypto asset with the base.
PREFERRED_QUOTES = ("USD", "EUR", "GBP")
# How many hops a crossed rate may take through other crypto assets (BTC -> USDC -> USD).
MAX_CRYPTO_HOPS = 2
# Significant digits of a rate obtained by division.
DIVISION_DIGITS = 28


def quote_preference(quote: str, is_fiat: Callable[[str], bool]) -> tuple[bool, int, str]:
    """The order in which a crypto asset's quote currencies are tried when it has no pair with
    the base: fiat before crypto, USD, EUR and GBP first. The ticker request and the rate
    search both follow it, so the pairs asked for are the ones the search will use."""
    rank = PREFERRED_QUOTES.index(quote) if quote in PREFERRED_QUOTES else len(PREFERRED_QUOTES)
    return (not is_fiat(quote), rank, quote)


def is_base_currency(code: str) -> bool:
    return code in ECB_CURRENCIES


# Territories whose currency the ECB quotes (the euro area and anything else default to EUR).
_TERRITORY_CURRENCY = {
    "US": "USD", "JP": "JPY", "CZ": "CZK", "DK": "DKK", "GL": "DKK", "FO": "DKK", "GB": "GBP",
    "GG": "GBP", "JE": "GBP", "IM": "GBP", "HU": "HUF", "PL": "PLN", "RO": "RON", "SE": "SEK",
    "CH": "CHF", "LI": "CHF", "IS": "ISK", "NO": "NOK", "TR": "TRY", "AU": "AUD", "BR": "BRL",
    "CA": "CAD", "CN": "CNY", "HK": "HKD", "ID": "IDR", "IL": "ILS", "IN": "INR", "KR": "KRW",
    "MX": "MXN", "MY": "MYR", "NZ": "NZD", "PH": "PHP", "SG": "SGD", "TH": "THB", "ZA": "ZAR",
}


def default_base_currency(environ: Mapping[str, str] | None = None) -> str:
    """The system locale's currency when the ECB quotes it (en_GB.UTF-8 -> GBP), else EUR.
    Read from the locale variables in POSIX order, without touching the process's locale."""
    import os

    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MONETARY", "LANG"):
        value = env.get(name, "")
        if not value:
            continue
        territory = value.partition(".")[0].partition("@")[0].partition("_")[2].upper()
        return _TERRITORY_CURRENCY.get(territory, "EUR")
    return "EUR"


def _product(*factors: Decimal) -> Decimal:
    """Exact: a product of decimals has as many digits as it needs."""
    with localcontext(prec=MAX_PREC):
        result = Decimal(1)
        for factor in factors:
            result *= factor
        return result


def _quotient(a: Decimal, b: Decimal) -> Decimal:
    with localcontext(prec=DIVISION_DIGITS):
        return a / b


@dataclass(frozen=True, slots=True)
class Ticker:
    """One Revolut X pair's price: 1 `base` is worth `mid` `quote`."""

    base: str
    quote: str
    mid: Decimal
    as_of: datetime


@dataclass(frozen=True, slots=True)
class EcbRates:
    """One day's reference rates: units of each currency per 1 EUR."""

    day: date
    per_euro: Mapping[str, Decimal]
    # When the ECB published them (the day's 16:00 CET), or when we read them if unknown.
    as_of: datetime

    def covers(self, currency: str) -> bool:
        return currency == "EUR" or currency in self.per_euro

    def units(self, currency: str) -> Decimal:
        return Decimal(1) if currency == "EUR" else self.per_euro[currency]


@dataclass(frozen=True, slots=True)
class RateInputs:
    """What the rate sources answered: tickers, the ECB's rates, and what went wrong (in
    words; a failing rate source never hides a balance). `asked_*` say which sources this
    answer tried, so that a later answer that did not ask one keeps the earlier word on it."""

    tickers: tuple[Ticker, ...] = ()
    ecb: EcbRates | None = None
    ecb_error: str | None = None
    ticker_error: str | None = None
    # A note on rates that are not fresh (the ECB's cached file after a failed fetch).
    notes: tuple[str, ...] = ()
    asked_ecb: bool = False
    asked_tickers: bool = False

    @property
    def errors(self) -> tuple[str, ...]:
        return tuple(e for e in (self.ecb_error, self.ticker_error) if e)

    def to_json(self) -> str:
        """The rates themselves (not the errors), to value the first paint of the next start."""
        import json

        ecb = self.ecb
        return json.dumps({
            "tickers": [[t.base, t.quote, plain(t.mid), t.as_of.isoformat()]
                        for t in self.tickers],
            "ecb": None if ecb is None else {
                "day": ecb.day.isoformat(), "as_of": ecb.as_of.isoformat(),
                "per_euro": {code: plain(rate) for code, rate in ecb.per_euro.items()},
            },
        })

    @classmethod
    def from_json(cls, text: str) -> RateInputs:
        """Back from `to_json`; ValueError (or KeyError, TypeError) for anything else."""
        import json

        doc = json.loads(text)
        tickers = tuple(
            Ticker(str(b), str(q), Decimal(str(mid)), datetime.fromisoformat(str(at)))
            for b, q, mid, at in doc["tickers"]
        )
        raw = doc["ecb"]
        ecb = None if raw is None else EcbRates(
            date.fromisoformat(raw["day"]),
            {str(code): Decimal(str(rate)) for code, rate in raw["per_euro"].items()},
            datetime.fromisoformat(raw["as_of"]),
        )
        return cls(tickers, ecb)


def merged(older: RateInputs, newer: RateInputs) -> RateInputs:
    """Everything known after `newer` arrived: its tickers and ECB rates where it has them,
    `older`'s for the rest (another source's refresh asked for other pairs, or a source
    failed this time: its last rates stay, with the word that they could not be refreshed)."""
    tickers = {(t.base, t.quote): t for t in older.tickers}
    tickers.update({(t.base, t.quote): t for t in newer.tickers})
    return RateInputs(
        tuple(tickers.values()),
        newer.ecb or older.ecb,
        newer.ecb_error if newer.asked_ecb else older.ecb_error,
        newer.ticker_error if newer.asked_tickers else older.ticker_error,
        newer.notes if newer.asked_ecb else older.notes,
        older.asked_ecb or newer.asked_ecb,
        older.asked_tickers or newer.asked_tickers,
    )


@dataclass(frozen=True, slots=True)
class Rate:
    """1 `from_currency` is worth `rate` `to_currency`, found through `source` (`via` names a
    crossed rate's intermediate currencies) and as of `as_of` (a crossed rate: its older leg)."""

    from_currency: str
    to_currency: str
    rate: Decimal
    source: RateSource
    as_of: datetime
    via: tuple[str, ...] = ()

    @property
    def how(self) -> str:
        """In words: "ticker", "ECB", "ticker via USD and ECB"."""
        if self.source == "ticker":
            return "Revolut X ticker"
        if self.source == "ecb":
            return "ECB reference rate"
        return "crossed via " + ", ".join(self.via)

    def to_document(self) -> dict[str, Any]:
        return {
            "from": self.from_currency,
            "to": self.to_currency,
            "rate": plain(self.rate),
            "source": self.source,
            "via": list(self.via),
            "as_of": self.as_of.isoformat().replace("+00:00", "Z"),
        }


class Prices:
    """The rate of every currency into `base`, found from `inputs` on demand and memoised."""

    def __init__(self, base: str, inputs: RateInputs) -> None:
        self.base = base
        self.inputs = inputs
        self._by_base: dict[str, list[Ticker]] = {}
        for ticker in inputs.tickers:
            self._by_base.setdefault(ticker.base, []).append(ticker)
        self._memo: dict[str, Rate | None] = {}

    def is_fiat(self, currency: str) -> bool:
        ecb = self.inputs.ecb
        return currency in ECB_CURRENCIES or (ecb is not None and ecb.covers(currency))

    def rate(self, currency: str) -> Rate | None:
        """The rate from `currency` to the base; None for the base itself and when no rate
        can be found."""
        if currency == self.base:
            return None
        if currency not in self._memo:
            self._memo[currency] = self._find(currency, MAX_CRYPTO_HOPS, frozenset({currency}))
        return self._memo[currency]

    def value(self, amount: Decimal, currency: str) -> tuple[Decimal | None, Rate | None]:
        """`amount` in the base currency, exactly, and the rate used. A zero amount is worth
        zero without a rate; any other amount without a rate has no value (None)."""
        if currency == self.base:
            return amount, None
        rate = self.rate(currency)
        if rate is None:
            return (Decimal(0) if amount == 0 else None), None
        return _product(amount, rate.rate), rate

    def _fiat_rate(self, currency: str) -> Rate | None:
        ecb = self.inputs.ecb
        if ecb is None or not ecb.covers(currency) or not ecb.covers(self.base):
            return None
        if currency == "EUR":
            value = ecb.units(self.base)  # exact: straight from the feed
        else:
            value = _quotient(ecb.units(self.base), ecb.units(currency))
        return Rate(currency, self.base, value, "ecb", ecb.as_of)

    def _find(self, currency: str, hops: int, seen: frozenset[str]) -> Rate | None:
        if self.is_fiat(currency):
            return self._fiat_rate(currency)
        tickers = {t.quote: t for t in self._by_base.get(currency, ())}
        direct = tickers.get(self.base)
        if direct is not None:
            return Rate(currency, self.base, direct.mid, "ticker", direct.as_of)
        others = sorted((q for q in tickers if q not in seen),
                        key=lambda q: quote_preference(q, self.is_fiat))
        for quote in others:
            ticker = tickers[quote]
            if self.is_fiat(quote):
                leg = self._fiat_rate(quote)
            elif hops > 0:
                leg = self._find(quote, hops - 1, seen | {quote})
            else:
                leg = None
            if leg is None:
                continue
            return Rate(
                currency,
                self.base,
                _product(ticker.mid, leg.rate),
                "cross",
                min(ticker.as_of, leg.as_of),
                (quote, *leg.via),
            )
        return None


# --- valuing the balances --------------------------------------------------------------------

ValuedKind = Literal["crypto", "bank", "owed", "credit"]


@dataclass(frozen=True, slots=True)
class ValuedLine:
    """One figure and its value. `kind`: crypto (a Revolut X total), bank (an account's own
    money), owed (a card's or a loan's balance, negative) or credit (credit still available:
    shown apart, never added)."""

    kind: ValuedKind
    currency: str
    amount: Decimal
    value: Decimal | None
    rate: Rate | None
    account_id: str | None = None
    account_name: str | None = None
    balance_type: str | None = None

    @property
    def valued(self) -> bool:
        return self.value is not None


@dataclass(frozen=True, slots=True)
class CurrencyLine:
    """The Overview's row for one currency: every holding in it (crypto and bank, owed
    included; credit not), its rate and value, and its share of net worth."""

    currency: str
    amount: Decimal
    value: Decimal | None
    rate: Rate | None
    share: Decimal | None
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Valuation:
    base: str
    crypto: tuple[ValuedLine, ...]
    bank: tuple[ValuedLine, ...]
    credit: tuple[ValuedLine, ...]
    rates: tuple[Rate, ...]
    errors: tuple[str, ...]
    notes: tuple[str, ...]
    # The bank balance types the bank total is made of, as the bank named them.
    bank_types: tuple[str, ...]
    computed_at: datetime
    lines: tuple[CurrencyLine, ...] = field(default=())

    @property
    def crypto_total(self) -> Decimal:
        return exact_sum(line.value for line in self.crypto if line.value is not None)

    @property
    def bank_total(self) -> Decimal:
        return exact_sum(line.value for line in self.bank if line.value is not None)

    @property
    def net_worth(self) -> Decimal:
        return exact_sum((self.crypto_total, self.bank_total))

    @property
    def credit_available(self) -> Decimal:
        return exact_sum(line.value for line in self.credit if line.value is not None)

    @property
    def unvalued(self) -> tuple[str, ...]:
        """Currencies with a holding that has no value (credit lines included), sorted."""
        return tuple(sorted({
            line.currency
            for line in (*self.crypto, *self.bank, *self.credit)
            if line.value is None
        }))

    @property
    def counted_unvalued(self) -> tuple[str, ...]:
        """Currencies left out of net worth (credit is never in it)."""
        return tuple(sorted({
            line.currency for line in (*self.crypto, *self.bank) if line.value is None
        }))

    @property
    def has_holdings(self) -> bool:
        return bool(self.crypto or self.bank)

    @property
    def anything_valued(self) -> bool:
        return any(line.valued for line in (*self.crypto, *self.bank))

    def price_source(self) -> _UsedRates:
        """The rates this valuation used, to value the same figures again (an export)."""
        return _UsedRates(self.base, {rate.from_currency: rate for rate in self.rates})

    def exclusion_note(self) -> str | None:
        """"excludes 2 currencies without a rate: XYZ, ABC", or None."""
        missing = self.counted_unvalued
        if not missing:
            return None
        noun = "currency" if len(missing) == 1 else "currencies"
        return f"excludes {len(missing)} {noun} without a rate: {', '.join(missing)}"

    def figure(self, value: Decimal) -> str:
        """A value's exact digits, without the trailing zeros past the base currency's minor
        units that multiplying scales leaves (53340.000000 -> 53340.00): nothing is lost."""
        from balance_desk.money import MINOR_UNITS

        places = MINOR_UNITS.get(self.base, 2)
        text = plain(value)
        if "." in text:
            whole, fraction = text.split(".")
            fraction = fraction.rstrip("0").ljust(places, "0")
            text = f"{whole}.{fraction}" if fraction else whole
        return text

    def to_document(self) -> dict[str, Any]:
        def value(line: ValuedLine) -> str | None:
            return None if line.value is None else self.figure(line.value)

        return {
            "base": self.base,
            "rates": [rate.to_document() for rate in self.rates],
            "crypto": [
                {"currency": line.currency, "amount": plain(line.amount), "value": value(line)}
                for line in self.crypto
            ],
            "bank": [
                {
                    "account_id": line.account_id,
                    "type": line.balance_type,
                    "owed": line.kind == "owed",
                    "amount": plain(line.amount),
                    "currency": line.currency,
                    "value": value(line),
                }
                for line in self.bank
            ],
            "credit_available": [
                {
                    "account_id": line.account_id,
                    "amount": plain(line.amount),
                    "currency": line.currency,
                    "value": value(line),
                }
                for line in self.credit
            ],
            "totals": {
                "crypto": self.figure(self.crypto_total),
                "bank": self.figure(self.bank_total),
                "net_worth": self.figure(self.net_worth),
                "credit_available": self.figure(self.credit_available),
            },
            "bank_balance_types": list(self.bank_types),
            "unvalued": list(self.unvalued),
            "errors": list(self.errors),
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class _UsedRates:
    base: str
    rates: Mapping[str, Rate]

    def value(self, amount: Decimal, currency: str) -> tuple[Decimal | None, Rate | None]:
        if currency == self.base:
            return amount, None
        rate = self.rates.get(currency)
        if rate is None:
            return (Decimal(0) if amount == 0 else None), None
        return _product(amount, rate.rate), rate


BankHolding = tuple["BankAccount", Sequence["BankBalance"]]


def value_balances(
    prices: Prices,
    crypto: Iterable[CryptoBalance],
    bank: Iterable[BankHolding],
    *,
    computed_at: datetime,
) -> Valuation:
    """Value every holding: each crypto total, and per bank account the balance that stands for
    it in totals (its own money: credit included in it taken out; a card or a loan as what is
    owed) and the credit it still offers (apart)."""
    from balance_desk.holdings import chosen_balance, credit_available

    crypto_lines = []
    for balance in crypto:
        value, rate = prices.value(balance.total, balance.currency)
        crypto_lines.append(ValuedLine("crypto", balance.currency, balance.total, value, rate))
    bank_lines: list[ValuedLine] = []
    credit_lines: list[ValuedLine] = []
    types: list[str] = []
    for account, balances in bank:
        chosen = chosen_balance(account, balances)
        if chosen is None:
            continue
        if chosen.type not in types:
            types.append(chosen.type)
        value, rate = prices.value(chosen.own_money, chosen.currency)
        bank_lines.append(ValuedLine(
            "owed" if account.is_credit else "bank", chosen.currency, chosen.own_money, value,
            rate, account.account_id, account.display_name, chosen.type,
        ))
        credit = credit_available(account, balances)
        if credit:
            value, rate = prices.value(credit, chosen.currency)
            credit_lines.append(ValuedLine(
                "credit", chosen.currency, credit, value, rate, account.account_id,
                account.display_name, chosen.type,
            ))
    used: dict[str, Rate] = {}
    for line in (*crypto_lines, *bank_lines, *credit_lines):
        if line.rate is not None:
            used.setdefault(line.currency, line.rate)
    valuation = Valuation(
        base=prices.base,
        crypto=tuple(crypto_lines),
        bank=tuple(bank_lines),
        credit=tuple(credit_lines),
        rates=tuple(used[c] for c in sorted(used)),
        errors=prices.inputs.errors,
        notes=prices.inputs.notes,
        bank_types=tuple(types),
        computed_at=computed_at,
    )
    return _with_currency_lines(valuation, prices)


def _with_currency_lines(valuation: Valuation, prices: Prices) -> Valuation:
    from dataclasses import replace

    by_currency: dict[str, list[ValuedLine]] = {}
    for line in (*valuation.crypto, *valuation.bank):
        by_currency.setdefault(line.currency, []).append(line)
    net = valuation.net_worth
    rows = []
    for currency, held in by_currency.items():
        amount = exact_sum(line.amount for line in held)
        complete = all(line.valued for line in held)
        value = (
            exact_sum(line.value for line in held if line.value is not None) if complete else None
        )
        share = _quotient(value, net) if value is not None and net > 0 else None
        sources = tuple(dict.fromkeys(
            "Crypto" if line.kind == "crypto" else "Bank" for line in held
        ))
        rows.append(CurrencyLine(currency, amount, value, prices.rate(currency), share, sources))
    rows.sort(key=lambda row: (row.value is None, -(row.value or 0), row.currency))
    return replace(valuation, lines=tuple(rows))
