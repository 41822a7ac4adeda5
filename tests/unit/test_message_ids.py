"""Message ids: random UUIDs (version 4), unique within a process and across forked workers."""

from __future__ import annotations

import multiprocessing
import uuid

from commerce_core.shared.events import new_message_id


def test_a_message_id_is_a_version_4_uuid_in_32_hex_digits():
    for _ in range(2000):
        text = new_message_id()
        parsed = uuid.UUID(text)
        assert (len(text), parsed.version, parsed.variant) == (32, 4, uuid.RFC_4122)
        assert parsed.hex == text


def test_message_ids_do_not_repeat():
    ids = {new_message_id() for _ in range(100_000)}
    assert len(ids) == 100_000


def _ids_in_child(queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    queue.put([new_message_id() for _ in range(100)])


def test_forked_workers_draw_different_ids_from_their_parent_and_each_other():
    # Workers are forked from one process: each must get its own sequence, not a copy of it.
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=_ids_in_child, args=(queue,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    drawn = [queue.get(timeout=10) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)
    parent = [new_message_id() for _ in range(100)]
    assert len(set(drawn[0]) | set(drawn[1]) | set(parent)) == 300
