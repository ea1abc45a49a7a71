"""One copy of each set-up rule: the command line and the key dialog say the same words for the
same problem, because both ask `setup/`."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from balance_desk.cli.args import UsageError
from balance_desk.cli.keys_bank import _endpoint
from balance_desk.cli.keys_revolut_x import _checked_api_key
from balance_desk.config import BankSettings
from balance_desk.gui.keys.bank import BankPage
from balance_desk.gui.keys.revolut_x import PrivateKeyBox, RevolutXPage
from balance_desk.setup.bank import endpoint_problems, token_expiry, token_problems
from balance_desk.setup.revolut_x import api_key_problem, api_key_shape_note


@pytest.mark.parametrize(
    "key",
    ["with space" + "A" * 54, "line\nbreak", "-----BEGIN PRIVATE KEY-----", "ключ" * 16],
)
def test_an_api_key_is_refused_in_the_same_words_everywhere(qtbot: QtBot, key: str) -> None:
    words = api_key_problem(key)
    assert words
    with pytest.raises(UsageError) as raised:
        _checked_api_key(key)
    assert str(raised.value) == words
    page = RevolutXPage()
    qtbot.addWidget(page)
    page.api_key.setText(key)
    assert words in page.find_problems()


@pytest.mark.parametrize("key", ["A" * 40, "A" * 65, "A" * 63 + "-", "A" * 63 + "_"])
def test_a_key_of_the_wrong_length_or_letters_is_refused_everywhere(
    qtbot: QtBot, key: str
) -> None:
    words = api_key_problem(key)
    assert words and "Revolut X API keys are 64 letters and digits" in words
    assert words == api_key_shape_note(key)  # the hint while typing says the same
    with pytest.raises(UsageError) as raised:
        _checked_api_key(key)
    assert str(raised.value) == words
    page = RevolutXPage()
    qtbot.addWidget(page)
    page.api_key.setText(key)
    page.revalidate()
    assert page.api_key_hint.text() == words
    assert words in page.find_problems()


def test_a_huge_key_file_is_refused_in_the_same_words(qtbot: QtBot, tmp_path: Path) -> None:
    from balance_desk.cli.keys_revolut_x import _private_key_from_args

    big = tmp_path / "big.pem"
    big.write_bytes(b"x" * (65 * 1024))
    with pytest.raises(UsageError) as raised:
        _private_key_from_args(argparse.Namespace(private_key=str(big), passphrase_file=None))
    box = PrivateKeyBox()
    qtbot.addWidget(box)
    box.import_path(big)
    assert box.message.text() == str(raised.value)
    assert "far too large to be a private key file" in box.message.text()


@pytest.mark.parametrize(
    ("url", "financial_id", "words"),
    [
        ("http://127.0.0.1:8080", "0015", "must be https:// (mutual TLS)"),
        ("http://bank.example", "0015", "Refusing the plain http://"),
        ("https://bank.example", " ", "Enter the bank's financial id"),
    ],
)
def test_a_custom_bank_is_refused_in_the_same_words(
    qtbot: QtBot, url: str, financial_id: str, words: str
) -> None:
    problems = endpoint_problems(url, financial_id)
    assert any(words in p for p in problems)
    args = argparse.Namespace(preset="custom", url=url, financial_id=financial_id)
    with pytest.raises(UsageError) as raised:
        _endpoint(args, BankSettings())
    assert str(raised.value) == problems[0]
    page = BankPage()
    qtbot.addWidget(page)
    page.preset.setCurrentIndex(page.preset.findData("custom"))
    page.url.setText(url)
    page.financial_id.setText(financial_id)
    assert problems[0] in page.find_problems()


def test_a_refresh_token_without_a_client_id_cannot_be_used() -> None:
    assert token_problems("access", "refresh", None) == [
        "A refresh token needs the client id of your Open Banking app."
    ]
    assert token_problems("access", "refresh", "client") == []
    assert token_problems("", None, None) == [
        "Paste the access token from your Open Banking consent."
    ]


def test_a_jwt_access_token_tells_when_it_expires() -> None:
    import base64
    import json

    payload = base64.urlsafe_b64encode(json.dumps({"exp": 1_900_000_000}).encode()).decode()
    assert token_expiry(f"e30.{payload.rstrip('=')}.sig") == datetime.fromtimestamp(
        1_900_000_000, UTC
    )
    assert token_expiry("opaque-token") is None
    assert token_expiry("a.!!!.c") is None
