"""The choice `scripts/run` makes: the user's keys when some are stored, else the demo."""

from __future__ import annotations

from balance_desk.credentials import CredentialStore, RevolutXCredentials
from balance_desk.launch import stored_sources


def test_no_keys_means_demo_and_any_stored_key_means_the_real_window(
    memory_store: CredentialStore,
) -> None:
    assert stored_sources(memory_store) == []
    memory_store.set_revolut_x(RevolutXCredentials(api_key="k" * 64, private_key_pem="pem"))
    assert stored_sources(memory_store) == ["revolut-x"]
