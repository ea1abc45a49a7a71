"""A secret typed after a mistaken option never comes back out on the terminal."""

from __future__ import annotations

import pytest

from balance_desk.main import main

SECRET = "s3cr3t-api-key-value-0123456789"


@pytest.mark.parametrize(
    "argv",
    [
        ["keys", "set", "revolut-x", "--api-key", SECRET],  # no prefix match to --api-key-file
        ["keys", "set", "bank", "--access-token", SECRET],
        ["snapshot", SECRET],
        ["keys", "delete", SECRET],
    ],
)
def test_usage_errors_do_not_repeat_the_arguments(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert SECRET not in out + err
    assert "error" in err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["snapshot", "--jsn"], "unknown option --jsn (did you mean --json?)"),
        (["--verbos"], "unknown option --verbos (did you mean --verbose?)"),
        (["keys", "set", "revolut-x", "--api-key", SECRET],
         "unknown option --api-key (did you mean --api-key-file?); 1 other argument not "
         "understood (not repeated: one may be a secret)"),
        ([f"--api-key={SECRET}"], "unknown option --api-key"),
        (["snapshot", "--" + "x" * 64], "1 other argument not understood"),
    ],
)
def test_a_mistyped_option_is_named_with_the_nearest_real_one(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert words in err and err.rstrip().endswith("See --help.")
    assert SECRET not in err and "x" * 64 not in err


def test_every_option_and_argument_has_help() -> None:
    import argparse

    from balance_desk.cli.main import build_parser

    missing = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}")
            elif not action.help:
                missing.append(f"{path} {action.option_strings or action.dest}")

    walk(build_parser(), "balance-desk")
    assert missing == []


@pytest.mark.parametrize(
    "typed", ["eyJhbGciOiJQUzI1NiJ9-access-token-typed-by-mistake", "s3cr3t passphrase"]
)
def test_a_secret_typed_where_its_file_belonged_is_not_repeated(typed: str) -> None:
    from balance_desk.cli.args import UsageError, read_secret

    with pytest.raises(UsageError) as raised:
        read_secret(typed, "Access token: ")
    assert typed not in str(raised.value)
    assert "not repeated" in str(raised.value)


def test_a_private_key_typed_where_its_file_belonged_is_not_repeated() -> None:
    from pathlib import Path

    from balance_desk.errors import ConfigError
    from balance_desk.setup.revolut_x import read_key_file

    with pytest.raises(ConfigError) as raised:
        read_key_file(Path(SECRET))
    assert SECRET not in str(raised.value)


def test_a_file_that_plainly_is_a_path_is_named() -> None:
    from balance_desk.cli.args import UsageError, read_secret

    with pytest.raises(UsageError, match=r"Cannot read /no/such/token\.txt"):
        read_secret("/no/such/token.txt", "Access token: ")
