"""Valuing balances in one currency: exact products, 28-digit quotients, crossed rates, no rate
never zero, credit never added."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, localcontext

import pytest

from balance_desk.model import BankAccount, BankBalance, CreditLine, CryptoBalance
from balance_desk.valuation import (
    EcbRates,
    Prices,
    RateInputs,
    Ticker,
    default_base_currency,
    merged,
    value_balances,
)

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
T_ECB = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
ECB = EcbRates(date(2026, 11, 30), {"USD": Decimal("1.0523"), "GBP": Decimal("0.83215"),
                                     "JPY": Decimal("162.47")}, T_ECB)


def ticker(symbol: str, mid: str, at: datetime = T0) -> Ticker:
    base, quote = symbol.split("/")
    return Ticker(base, quote, Decimal(mid), at)


def quotient(a: str, b: str) -> Decimal:
    with localcontext(prec=28):
        return Decimal(a) / Decimal(b)


def crypto(currency: str, total: str) -> CryptoBalance:
    return CryptoBalance(currency=currency, available=Decimal(total), reserved=Decimal(0),
                         total=Decimal(total))


def test_a_direct_ticker_values_exactly_with_its_mid() -> None:
    prices = Prices("GBP", RateInputs((ticker("BTC/GBP", "100000.00"),), ECB))
    value, rate = prices.value(Decimal("0.53340000"), "BTC")
    assert value == Decimal("53340.0000000000") and str(value) == "53340.0000000000"
    assert rate is not None and (rate.source, rate.via, rate.rate) == ("ticker", (), Decimal(
        "100000.00"))
    assert rate.as_of == T0


def test_without_a_direct_pair_the_rate_crosses_through_the_quote_currency_and_the_ecb() -> None:
    prices = Prices("GBP", RateInputs((ticker("BTC/USD", "120000.00"),), ECB))
    rate = prices.rate("BTC")
    usd_to_gbp = quotient("0.83215", "1.0523")  # 28 significant digits
    assert rate is not None
    assert rate.source == "cross" and rate.via == ("USD",)
    assert rate.rate == Decimal("120000.00") * usd_to_gbp  # an exact product of the legs
    assert rate.as_of == T_ECB  # the older leg
    value, _ = prices.value(Decimal("0.5"), "BTC")
    with localcontext(prec=100):
        assert value == Decimal("0.5") * Decimal("120000.00") * usd_to_gbp


def test_a_stablecoin_is_valued_by_its_own_ticker_never_as_one_dollar() -> None:
    inputs = RateInputs(
        (ticker("USDC/USD", "0.9998"), ticker("DOT/USDC", "7.5000")), ECB
    )
    prices = Prices("USD", inputs)
    usdc = prices.rate("USDC")
    assert usdc is not None and usdc.rate == Decimal("0.9998") and usdc.source == "ticker"
    dot = prices.rate("DOT")
    assert dot is not None and dot.source == "cross" and dot.via == ("USDC",)
    assert dot.rate == Decimal("7.5000") * Decimal("0.9998")
    # A stablecoin with no ticker has no value: it is not taken for 1 USD.
    assert Prices("USD", RateInputs((), ECB)).value(Decimal("100"), "USDT") == (None, None)


def test_fiat_through_the_ecb_eur_legs_are_exact_and_others_a_28_digit_quotient() -> None:
    to_gbp = Prices("GBP", RateInputs((), ECB))
    eur = to_gbp.rate("EUR")
    assert eur is not None and eur.rate == Decimal("0.83215") and eur.source == "ecb"
    jpy = to_gbp.rate("JPY")
    assert jpy is not None and jpy.rate == quotient("0.83215", "162.47")
    assert len(jpy.rate.as_tuple().digits) == 28
    to_eur = Prices("EUR", RateInputs((), ECB))
    gbp = to_eur.rate("GBP")
    assert gbp is not None and gbp.rate == quotient("1", "0.83215")


def test_the_base_currency_is_its_own_value_and_needs_no_rate() -> None:
    prices = Prices("GBP", RateInputs())
    assert prices.value(Decimal("250.00"), "GBP") == (Decimal("250.00"), None)


def test_no_rate_means_no_value_and_the_total_names_what_it_leaves_out() -> None:
    prices = Prices("EUR", RateInputs((ticker("BTC/EUR", "114000"),), ECB))
    valuation = value_balances(
        prices,
        [crypto("BTC", "1"), crypto("XYZ", "5"), crypto("ABC", "2"), crypto("ADA", "0")],
        [],
        computed_at=T0,
    )
    values = {line.currency: line.value for line in valuation.crypto}
    assert values == {"BTC": Decimal("114000"), "XYZ": None, "ABC": None, "ADA": Decimal(0)}
    assert valuation.net_worth == Decimal("114000")
    assert valuation.unvalued == ("ABC", "XYZ")  # a zero balance is worth zero anywhere
    assert valuation.exclusion_note() == "excludes 2 currencies without a rate: ABC, XYZ"
    doc = valuation.to_document()
    assert doc["unvalued"] == ["ABC", "XYZ"]
    assert {c["currency"]: c["value"] for c in doc["crypto"]} == {
        "BTC": "114000", "XYZ": None, "ABC": None, "ADA": "0"
    }


def _account(account_id: str, subtype: str, currency: str) -> BankAccount:
    return BankAccount(account_id=account_id, currency=currency, account_subtype=subtype)


def _balance(
    kind: str, side: str, amount: str, currency: str, lines: tuple[CreditLine, ...] = ()
) -> BankBalance:
    return BankBalance(type=kind, credit_debit=side, amount=Decimal(amount),
                       currency=currency, date_time=T0, credit_lines=lines)


def test_bank_money_is_own_money_owed_is_negative_and_credit_is_apart() -> None:
    overdraft = CreditLine(included=False, type="Available", amount=Decimal("500.00"),
                           currency="GBP")
    current = _account("c-1", "CurrentAccount", "GBP")
    card = _account("k-1", "CreditCard", "EUR")
    prices = Prices("EUR", RateInputs((), ECB))
    valuation = value_balances(
        prices,
        [],
        [
            (current, [_balance("InterimAvailable", "Credit", "300.00", "GBP", (overdraft,)),
                       _balance("InterimBooked", "Credit", "310.00", "GBP")]),
            (card, [_balance("InterimBooked", "Debit", "120.50", "EUR"),
                    _balance("InterimAvailable", "Credit", "1879.50", "EUR")]),
        ],
        computed_at=T0,
    )
    gbp_rate = quotient("1", "0.83215")
    own, owed = valuation.bank
    assert (own.kind, own.balance_type, own.amount) == ("bank", "InterimAvailable",
                                                        Decimal("300.00"))
    assert own.value == Decimal("300.00") * gbp_rate
    assert (owed.kind, owed.amount, owed.value) == ("owed", Decimal("-120.50"),
                                                    Decimal("-120.50"))
    with localcontext(prec=100):  # the expectations exact too
        assert valuation.bank_total == Decimal("300.00") * gbp_rate - Decimal("120.50")
        # Credit available is valued and shown, never added to net worth.
        assert valuation.credit_available == Decimal("500.00") * gbp_rate + Decimal("1879.50")
    assert [c.amount for c in valuation.credit] == [Decimal("500.00"), Decimal("1879.50")]
    assert valuation.net_worth == valuation.bank_total
    assert valuation.bank_types == ("InterimAvailable", "InterimBooked")


def test_one_row_per_currency_with_its_share_of_net_worth() -> None:
    prices = Prices("GBP", RateInputs((ticker("BTC/GBP", "100"),), ECB))
    valuation = value_balances(
        prices,
        [crypto("BTC", "3"), crypto("GBP", "50")],
        [(_account("c", "CurrentAccount", "GBP"),
          [_balance("InterimAvailable", "Credit", "50", "GBP")])],
        computed_at=T0,
    )
    rows = {line.currency: line for line in valuation.lines}
    assert rows["GBP"].amount == Decimal(100) and rows["GBP"].sources == ("Crypto", "Bank")
    assert rows["BTC"].share == Decimal("0.75") and rows["GBP"].share == Decimal("0.25")
    assert [line.currency for line in valuation.lines] == ["BTC", "GBP"]  # largest first


def test_json_values_drop_only_the_zeros_that_multiplying_scales_adds() -> None:
    prices = Prices("GBP", RateInputs((ticker("BTC/GBP", "100000.00"),), ECB))
    valuation = value_balances(prices, [crypto("BTC", "0.53340000")], [], computed_at=T0)
    doc = valuation.to_document()
    assert doc["crypto"] == [{"currency": "BTC", "amount": "0.53340000", "value": "53340.00"}]
    assert doc["totals"] == {"crypto": "53340.00", "bank": "0", "net_worth": "53340.00",
                             "credit_available": "0"}
    assert doc["rates"] == [{"from": "BTC", "to": "GBP", "rate": "100000.00",
                             "source": "ticker", "via": [], "as_of": "2026-12-01T12:00:00Z"}]


def test_later_rates_add_to_what_an_earlier_refresh_brought() -> None:
    first = RateInputs((ticker("BTC/USD", "1"), ticker("ETH/USD", "2")), ECB, asked_ecb=True,
                       asked_tickers=True)
    second = RateInputs((ticker("BTC/USD", "3"),), None, "No ECB rates: down", asked_ecb=True,
                        asked_tickers=True)
    both = merged(first, second)
    assert {(t.base, t.mid) for t in both.tickers} == {("BTC", Decimal(3)), ("ETH", Decimal(2))}
    # The ECB failed this time: its last rates stay, with the word that they are not fresh.
    assert both.ecb is ECB and both.errors == ("No ECB rates: down",)
    # A refresh that needed no prices (the bank's) keeps the word that they are failing.
    failing = RateInputs((), ECB, None, "No Revolut X prices: down", asked_ecb=True,
                         asked_tickers=True)
    bank_only = RateInputs((), ECB, asked_ecb=True)
    assert merged(failing, bank_only).errors == ("No Revolut X prices: down",)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANG": "en_GB.UTF-8"}, "GBP"),
        ({"LC_ALL": "de_CH.UTF-8", "LANG": "en_GB.UTF-8"}, "CHF"),
        ({"LC_MONETARY": "ja_JP.UTF-8"}, "JPY"),
        ({"LANG": "fr_FR.UTF-8"}, "EUR"),
        ({"LANG": "ar_EG.UTF-8"}, "EUR"),  # the ECB does not quote EGP
        ({"LANG": "C.UTF-8"}, "EUR"),
        ({}, "EUR"),
    ],
)
def test_the_default_base_currency_follows_the_locale(env: dict[str, str], expected: str) -> None:
    assert default_base_currency(env) == expected


def test_rates_kept_for_the_next_start_come_back_digit_for_digit() -> None:
    inputs = RateInputs((ticker("BTC/USD", "120000.00"), ticker("USDC/USD", "0.9998")), ECB)
    back = RateInputs.from_json(inputs.to_json())
    assert back.tickers == inputs.tickers and back.ecb == inputs.ecb
    assert str(back.tickers[0].mid) == "120000.00"
    assert Prices("GBP", back).rate("BTC") == Prices("GBP", inputs).rate("BTC")
