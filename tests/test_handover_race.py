"""The accept race: two workers press Join at the same moment; exactly one wins (queue.accept is one
conditional UPDATE), on SQLite and on PostgreSQL, and the loser is told who took it."""
from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hotline.handover import queue as handover_queue
from hotline.storage.db import migrate, session_scope
from hotline.storage.models import Conversation, Handover, StaffUser
from test_staff_fixtures import login, make_staff, person_messages, queued_danger


def _queued_handover() -> int:
    with session_scope() as s:
        conv = Conversation(channel="web", language="ro", tier="P0", state="queued")
        s.add(conv)
        s.flush()
        handover = Handover(conversation_id=conv.id, channel="web", tier="P0", language="ro", status="queued")
        s.add(handover)
        s.flush()
        return handover.id


def _race(handover_id: int, worker_ids: list[int], rounds: int = 1) -> list[int]:
    """All workers call accept at once (a barrier lines them up); returns the winners' ids."""
    winners: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(worker_ids))
    lock = threading.Lock()

    def attempt(worker_id: int) -> None:
        try:
            # line up before the transactions begin: with SQLite's BEGIN IMMEDIATE a thread waiting at
            # the barrier inside a transaction would hold the lock the other one waits for
            barrier.wait(timeout=10)
            with session_scope() as s:
                worker = s.get(StaffUser, worker_id)
                if handover_queue.accept(s, handover_id, worker):
                    with lock:
                        winners.append(worker_id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=attempt, args=(w,)) for w in worker_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    return winners


def _check_race(rounds: int) -> None:
    migrate()
    workers = [make_staff(f"w{i}", f"W{i}", on_duty=True) for i in range(2)]
    for _ in range(rounds):
        handover_id = _queued_handover()
        winners = _race(handover_id, workers)
        assert len(winners) == 1
        with session_scope() as s:
            h = s.get(Handover, handover_id)
            assert h.status == "active" and h.worker_id == winners[0]
            assert s.get(Conversation, h.conversation_id).state == "with_worker"


def test_two_threads_one_winner_sqlite(hotline_env) -> None:  # type: ignore[no-untyped-def]
    _check_race(rounds=10)


@pytest.mark.postgres
def test_two_threads_one_winner_postgres(postgres_url) -> None:  # type: ignore[no-untyped-def]
    from hotline.storage.db import get_engine

    assert get_engine().dialect.name == "postgresql"
    _check_race(rounds=10)


def test_the_loser_of_the_join_race_sees_who_took_it(client: TestClient) -> None:
    make_staff("ana", "Ana", on_duty=True)
    make_staff("bogdan", "Bogdan", on_duty=True)
    conv, _, handover_id = queued_danger(client)
    ana, bogdan = client, TestClient(client.app)
    ana_csrf, bogdan_csrf = login(ana, "ana"), login(bogdan, "bogdan")
    results: dict[str, int] = {}
    barrier = threading.Barrier(2)

    def press(name: str, who: TestClient, csrf: str) -> None:
        barrier.wait(timeout=10)
        results[name] = who.post(f"/staff/handovers/{handover_id}/join", data={"csrf_token": csrf},
                                 follow_redirects=False).status_code

    threads = [threading.Thread(target=press, args=("ana", ana, ana_csrf)),
               threading.Thread(target=press, args=("bogdan", bogdan, bogdan_csrf))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results.values()) == [303, 409]
    with session_scope() as s:
        winner = s.get(StaffUser, s.get(Handover, handover_id).worker_id).first_name
    loser_client = bogdan if winner == "Ana" else ana
    loser_csrf = bogdan_csrf if winner == "Ana" else ana_csrf
    again = loser_client.post(f"/staff/handovers/{handover_id}/join", data={"csrf_token": loser_csrf})
    assert again.status_code in (404, 409)
    if again.status_code == 409:
        assert f"Already taken by {winner}" in again.text
    # the person heard exactly one worker join
    joined = [m for m in person_messages(client, conv) if m["key"] == "handover.worker_joined"]
    assert len(joined) == 1 and winner in joined[0]["text"]
    with session_scope() as s:
        assert s.get(Handover, handover_id).status == "active"
