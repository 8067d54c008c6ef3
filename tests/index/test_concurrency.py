"""Queries running during adds and removals see each update batch wholly or not at all."""

from __future__ import annotations

import threading

import numpy as np

from sharedhash.index import PdqIndex


def test_queries_never_see_half_of_an_update_batch() -> None:
    rng = np.random.default_rng(11)
    base = rng.integers(0, 256, size=(5000, 32), dtype=np.uint8)
    index = PdqIndex.from_arrays(base, np.arange(5000), compact_threshold=2000)
    value = rng.integers(0, 256, size=(1, 32), dtype=np.uint8)
    batch = 50
    stop = threading.Event()
    torn: list[int] = []

    def writer() -> None:
        # Each batch adds or removes `batch` ids under the same value, so a reader may only ever see a multiple.
        next_id = 100_000
        for _ in range(120):
            ids = np.arange(next_id, next_id + batch)
            index.add_array(np.repeat(value, batch, axis=0), ids)
            if next_id % 3 == 0:
                index.remove(ids)
            next_id += batch
        stop.set()

    def reader() -> None:
        while not stop.is_set():
            found = len(index.query_batch_array(value, 0).ids)
            if found % batch:
                torn.append(found)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    index.wait_for_compaction()
    assert torn == []
    assert len(index.query_batch_array(value, 0).ids) % batch == 0
    assert len(index) == 5000 + batch * sum(1 for i in range(120) if (100_000 + i * batch) % 3 != 0)
