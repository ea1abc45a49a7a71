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
