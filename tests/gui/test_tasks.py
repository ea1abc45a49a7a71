"""Tasks: the app's one way to run blocking work off the GUI thread (the poller's fetches and the
key dialog's connection test)."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QThread
from pytestqt.qtbot import QtBot

from balance_desk.gui.tasks import JobFailed, Tasks


def test_a_result_comes_back_on_the_owners_thread_not_the_jobs(qtbot: QtBot) -> None:
    tasks = Tasks()
    job_threads: list[threading.Thread] = []
    delivered: list[tuple[object, object, QThread | None]] = []
    tasks.done.connect(
        lambda key, result: delivered.append((key, result, QThread.currentThread()))
    )

    def job() -> int:
        job_threads.append(threading.current_thread())
        return 42

    with qtbot.waitSignal(tasks.done, timeout=5_000):
        assert tasks.submit("answer", job)
    assert delivered == [("answer", 42, tasks.thread())]
    assert job_threads[0] is not threading.main_thread()
    assert not tasks.running("answer")


def test_a_cancelled_job_is_never_delivered_and_its_result_is_cleaned_up(qtbot: QtBot) -> None:
    tasks = Tasks()
    release = threading.Event()
    dropped: list[object] = []
    delivered: list[object] = []
    tasks.done.connect(lambda _key, result: delivered.append(result))
    tasks.submit("slow", lambda: release.wait(5) and "late", dropped=dropped.append)
    assert tasks.running("slow")
    tasks.cancel("slow")
    assert not tasks.running("slow")
    release.set()
    qtbot.waitUntil(lambda: dropped == ["late"], timeout=5_000)
    qtbot.wait(50)
    assert delivered == []


def test_a_newer_job_under_the_same_key_wins(qtbot: QtBot) -> None:
    tasks = Tasks()
    release = threading.Event()
    dropped: list[object] = []
    delivered: list[object] = []
    tasks.done.connect(lambda _key, result: delivered.append(result))
    tasks.submit("fetch", lambda: release.wait(5) and "old", dropped=dropped.append)
    with qtbot.waitSignal(tasks.done, timeout=5_000):
        tasks.submit("fetch", lambda: "new")
    release.set()
    qtbot.waitUntil(lambda: dropped == ["old"], timeout=5_000)
    assert delivered == ["new"]


def test_closing_drops_a_result_that_finished_but_was_not_delivered_yet(qtbot: QtBot) -> None:
    tasks = Tasks()
    dropped: list[object] = []
    delivered: list[object] = []
    tasks.done.connect(lambda _key, result: delivered.append(result))

    def job() -> str:
        return "opened something"

    # The delivery is queued to this thread; nothing runs it until the event loop turns.
    tasks.submit("start", job, dropped=dropped.append)
    qtbot.waitUntil(lambda: "start" in {k for k, *_ in tasks._finished.values()}, timeout=5_000)
    tasks.close()
    assert dropped == ["opened something"]
    assert not tasks.submit("again", job)
    qtbot.wait(50)
    assert delivered == []


def test_a_job_that_raises_is_delivered_as_a_failure_in_words(qtbot: QtBot) -> None:
    tasks = Tasks()
    results: list[object] = []
    tasks.done.connect(lambda _key, result: results.append(result))

    def broken() -> None:
        raise KeyError("secret-looking detail")

    with qtbot.waitSignal(tasks.done, timeout=5_000):
        tasks.submit("broken", broken)
    assert isinstance(results[0], JobFailed) and isinstance(results[0].exc, KeyError)


def test_a_late_answer_for_a_destroyed_owner_is_harmless(qtbot: QtBot) -> None:
    parent = QObject()
    tasks = Tasks(parent)
    release = threading.Event()
    answered = threading.Event()
    delivered: list[object] = []
    tasks.done.connect(lambda _key, result: delivered.append(result))

    def job() -> str:
        release.wait(5)
        answered.set()
        return "late"

    tasks.submit("test", job)
    parent.deleteLater()
    qtbot.wait(20)  # the owner is gone (as a closed dialog is)
    release.set()
    assert answered.wait(5)
    qtbot.wait(50)  # the queued delivery had nowhere to go
    assert delivered == []
    # And the next owner works as before.
    fresh = Tasks()
    with qtbot.waitSignal(fresh.done, timeout=5_000):
        fresh.submit("test", lambda: "fine")
