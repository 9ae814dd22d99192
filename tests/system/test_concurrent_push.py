"""Concurrent pushes against gunicorn with 4 workers: every mutation applies exactly once."""

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import column, create_engine, func, select, table

from tests.system.conftest import HttpClient, created_ids, record_mutations, staff_recipients

pytestmark = [pytest.mark.slow]

CLIENTS = 8
MUTATIONS = 200
WAIT = 300  # seconds for a whole round of threads: generous, the machine is shared


def count_rows(database_url: str, ids_by_table: dict[str, set[str]]) -> dict[str, int]:
    """How many rows of each table carry one of these ids (read straight from the database)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return {name: conn.execute(select(func.count()).select_from(table(name, column("id")))
                                       .where(column("id").in_(ids))).scalar_one()
                    for name, ids in ids_by_table.items()}
    finally:
        engine.dispose()


def count_applied(database_url: str, mutation_ids: list[str]) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table("applied_mutations", column("id")))
                                .where(column("id").in_(mutation_ids))).scalar_one()
    finally:
        engine.dispose()


def push_ok(client: HttpClient, batch: list[dict]) -> list[dict]:
    response = client.push(batch)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["id"] for r in results] == [m["id"] for m in batch]
    return results


def test_eight_clients_pushing_the_same_mutations_apply_each_once(live_server, database_url):
    clients = [HttpClient(live_server.url) for _ in range(CLIENTS)]
    recipient_ids, area_id = staff_recipients(clients[0])
    mutations = record_mutations(MUTATIONS, area_id, recipient_ids)
    barrier = threading.Barrier(CLIENTS, timeout=WAIT)

    def run(index: int) -> list[dict]:
        # Each client sends every mutation, in its own order and batch sizes, so batches overlap partly.
        rng = random.Random(index)
        order = mutations[:]
        if index % 2:
            order.reverse()
        batches, start = [], 0
        while start < len(order):
            size = rng.choice((1, 7, 25, 50, 200))
            batches.append(order[start:start + size])
            start += size
        rng.shuffle(batches)
        barrier.wait()
        return [result for batch in batches for result in push_ok(clients[index], batch)]

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = [f.result(timeout=WAIT) for f in [pool.submit(run, i) for i in range(CLIENTS)]]
    for client in clients:
        client.close()

    statuses = Counter(r["status"] for answer in answers for r in answer)
    assert set(statuses) <= {"applied", "duplicate"}, statuses
    assert statuses["applied"] == MUTATIONS
    assert statuses["duplicate"] == MUTATIONS * (CLIENTS - 1)
    applied_ids = Counter(r["id"] for answer in answers for r in answer if r["status"] == "applied")
    assert set(applied_ids) == {m["id"] for m in mutations} and max(applied_ids.values()) == 1
    ids = created_ids(mutations)
    assert count_rows(database_url, ids) == {name: len(values) for name, values in ids.items()}
    assert sum(len(values) for values in ids.values()) == MUTATIONS
    assert count_applied(database_url, [m["id"] for m in mutations]) == MUTATIONS


def test_two_tabs_pushing_the_same_batch_at_once_apply_it_once(live_server, database_url):
    first = HttpClient(live_server.url)
    second = first.tab()
    recipient_ids, area_id = staff_recipients(first)
    rounds = [record_mutations(MUTATIONS, area_id, recipient_ids) for _ in range(3)]
    barrier = threading.Barrier(2, timeout=WAIT)

    def run(client: HttpClient, batch: list[dict]) -> list[dict]:
        barrier.wait()
        return push_ok(client, batch)

    with ThreadPoolExecutor(2) as pool:
        for batch in rounds:
            futures = [pool.submit(run, tab, batch) for tab in (first, second)]
            answers = [f.result(timeout=WAIT) for f in futures]
            for index, m in enumerate(batch):
                statuses = sorted(answer[index]["status"] for answer in answers)
                assert statuses == ["applied", "duplicate"], (m["id"], statuses)
                assert answers[0][index]["entity"] == answers[1][index]["entity"]
    first.close()
    second.close()

    everything = [m for batch in rounds for m in batch]
    ids = created_ids(everything)
    assert count_rows(database_url, ids) == {name: len(values) for name, values in ids.items()}
    assert count_applied(database_url, [m["id"] for m in everything]) == len(everything)
