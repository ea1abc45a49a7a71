"""The last figures kept as text for the first paint: exact texts kept, privacy applied on
screen, rows capped, and a damaged file moved aside (issue 13)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from balance_desk.model import CryptoBalance, RevolutXResult
from balance_desk.present.crypto_table import build_crypto_table
from balance_desk.present.formatting import NumberFormat
from balance_desk.present.glance import (
    GLANCE_ROWS,
    Glance,
    GlanceTable,
    glance_json,
    glance_page,
    make_glance,
    parse_glance,
    read_glance,
)

NOW = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)


def _crypto(*amounts: str) -> RevolutXResult:
    return RevolutXResult(status="ok", fetched_at=NOW, balances=tuple(
        CryptoBalance(currency=f"C{i:03d}", available=amount, reserved="0", total=amount)
        for i, amount in enumerate(amounts)
    ))


def test_a_glance_keeps_the_shown_texts_exactly_and_reads_back_the_same() -> None:
    # Every crypto column is shown by default, so the glance's rows are the table's texts.
    table = build_crypto_table(_crypto("0.00000001", "123456789.123456789"), NumberFormat())
    glance = make_glance({"revolut_x": table, "bank": None}, None, {"revolut_x": NOW})
    assert glance is not None
    assert glance.figures_at == {"revolut_x": NOW} and not glance.covers("overview")
    # Every shown column's text exactly as the table shows it.
    assert glance.tables["revolut_x"].rows == tuple(row.texts for row in table.rows)
    assert "123,456,789.12345679" in glance.tables["revolut_x"].rows[1][1]
    assert parse_glance(glance_json(glance)) == glance


def test_nothing_shown_keeps_no_glance() -> None:
    assert make_glance({"revolut_x": None, "bank": None}, None, {}) is None


def test_rows_past_what_a_window_shows_are_counted_not_kept() -> None:
    table = build_crypto_table(_crypto(*[str(i) for i in range(GLANCE_ROWS + 7)]),
                               NumberFormat())
    glance = make_glance({"revolut_x": table}, None, {"revolut_x": NOW})
    assert glance is not None
    page = glance_page(glance, "revolut_x", masked=None, now=NOW)
    assert len(page.rows) == GLANCE_ROWS and page.more == "… and 7 more rows"


def _valued() -> Glance:
    table = GlanceTable(("Currency", "Amount", "Share"), ("text", "amount", "percent"),
                        (("BTC", "0.5", "60.00 %"),), 0)
    return Glance({"revolut_x": NOW, "bank": NOW}, "GBP",
                  (("Net worth", "1,234.56", "crypto + bank"), ("Crypto", "1,000.00", "")),
                  False, {"overview": table, "revolut_x": table})


def test_the_overview_shows_when_only_one_source_had_figures() -> None:
    only_crypto = _valued()._replace(figures_at={"revolut_x": NOW})
    assert only_crypto.covers("overview") and only_crypto.covers("revolut_x")
    assert not only_crypto.covers("bank")


def test_the_demos_last_figures_say_they_are_demo_data() -> None:
    page = glance_page(_valued(), "overview", masked=None, now=NOW, demo=True)
    assert page.notice.startswith("Demo data from Balance Desk's built-in simulator")
    assert "from its history; refreshing…" in page.notice
    assert "Demo" not in glance_page(_valued(), "overview", masked=None, now=NOW).notice


def test_privacy_mode_hides_every_amount_and_the_net_worth_but_not_shares() -> None:
    page = glance_page(_valued(), "overview", masked="•••••", now=NOW)
    assert page.headline == "Net worth  ••••• GBP" and page.figures == "Crypto ••••• GBP"
    assert page.rows == (("BTC", "•••••", "60.00 %"),)
    shown = glance_page(_valued(), "overview", masked=None, now=NOW)
    assert shown.headline == "Net worth  1,234.56 GBP" and shown.note == "Crypto + bank."
    assert shown.right == (False, True, True)
    assert "from your history; refreshing…" in shown.notice


@pytest.mark.parametrize("content", [
    b"{not json", b"\xff\xfe", b"[" * 100_000, b'{"version": 2}', b"[]",
    b'{"version": 1, "figures_at": {"revolut_x": "2026-12-02T14:30:00"}, "base": "GBP", '
    b'"figures": [], "tables": {}}',  # a time without its zone
    b'{"version": 1, "figures_at": {"revolut_x": "2026-12-02T14:30:00+00:00"}, "base": "GBP",'
    b' "figures": [], "tables": {"revolut_x": {"columns": ["A"], "kinds": ["amount"], '
    b'"rows": [["1", "2"]], "more": 0}}}',  # a row wider than its table
    b" " * (2 * 1024 * 1024),
])
def test_a_damaged_glance_is_moved_aside_and_said(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "history-last-figures.json"
    path.write_bytes(content)
    glance, problem = read_glance(path)
    assert glance is None and problem is not None
    assert "were damaged" in problem and "moved aside" in problem
    assert not path.exists() and list(tmp_path.glob("history-last-figures.json.damaged-*"))


def test_no_glance_yet_is_no_problem(tmp_path: Path) -> None:
    assert read_glance(tmp_path / "history-last-figures.json") == (None, None)


def test_what_the_fetch_process_writes_is_what_the_window_reads(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    path.write_text(glance_json(_valued()), encoding="utf-8")
    assert read_glance(path) == (_valued(), None)
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == 1
