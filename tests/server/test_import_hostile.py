"""Issue 18 F3: an import never holds the database to parse. Every line is checked before the write transaction
(a junk body never takes the write lock), the list's permission is checked before the body is read, and an
import whose client went away stops and writes nothing."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator

import pytest

from sharedhash.server.bulk import service
from sharedhash.server.bulk.service import BulkFormat, ImportCancelled
from sharedhash.store.visibility import Caller
from tests.support.api import add, assert_error, md5, new_list, pdq
from tests.support.hub import Hub, state_of


def _line(i: int) -> str:
    return json.dumps({"hashes": [{"hash_type": "md5", "value": md5(i)}], "external_id": f"case-{i}"}) + "\n"


def test_permission_is_checked_before_the_body_is_read(hub: Hub) -> None:
    lst = new_list(hub)
    sent: list[int] = []

    def body() -> Iterator[bytes]:
        for i in range(200):
            sent.append(i)
            yield _line(i).encode() * 100

    r = hub.client.post(f"/v1/hash-lists/{lst['id']}/import", content=body(), headers=hub.auth("stranger"))
    assert_error(r, 404, "not_found")
    assert len(sent) < 200  # the hub answered without reading the body
    assert hub.client.get(f"/v1/hash-lists/{lst['id']}", headers=hub.auth("owner")).json()["last_seq"] == 0


def test_writes_go_on_while_a_junk_import_is_checked(hub: Hub) -> None:
    lst = new_list(hub)
    junk = ("{" + '"zorblax": [' + "1," * 2000 + "1]}\n") * 4000  # ~16 MB of lines that are all bad
    outcome: dict[str, object] = {}

    def junk_import() -> None:
        r = hub.client.post(f"/v1/hash-lists/{lst['id']}/import", content=junk.encode(), headers=hub.auth("owner"))
        outcome["status"] = r.status_code
        outcome["body"] = r.json()

    thread = threading.Thread(target=junk_import)
    thread.start()
    slowest = 0.0
    written = 0
    while thread.is_alive() or written == 0:
        began = time.perf_counter()
        add(hub, lst["id"], ("pdq", pdq(10_000 + written)))
        slowest = max(slowest, time.perf_counter() - began)
        written += 1
    thread.join()
    assert outcome["status"] == 400
    assert outcome["body"]["lines"] == 4000  # type: ignore[index]
    assert outcome["body"]["errors_truncated"] is True  # type: ignore[index]
    # Functional bound (a shared machine): before, the junk import held the write lock for its whole parse.
    assert slowest < 5, slowest
    assert hub.client.get(f"/v1/hash-lists/{lst['id']}", headers=hub.auth("owner")).json()["last_seq"] == written


class _SetOnRewind(io.BytesIO):
    """A spooled body that sets ``event`` when the import rewinds it to write it (the client leaves then)."""

    def __init__(self, data: bytes, event: threading.Event) -> None:
        super().__init__(data)
        self.event = event

    def seek(self, offset: int, whence: int = 0) -> int:
        if offset == 0 and whence == 0:
            self.event.set()
        return super().seek(offset, whence)


@pytest.mark.parametrize("when", ["checking", "writing"])
def test_an_import_whose_client_went_away_writes_nothing(hub: Hub, when: str, monkeypatch: pytest.MonkeyPatch) -> None:
    state = state_of(hub)
    lst = new_list(hub)
    owner = hub.client.get("/v1/orgs/me", headers=hub.auth("owner")).json()
    caller = Caller(org_id=owner["id"], org_name="owner", key_id=None, scopes=frozenset())
    body = "".join(_line(i) for i in range(3000)).encode()
    cancelled = threading.Event()
    if when == "checking":
        cancelled.set()
        spool: io.BytesIO = io.BytesIO(body)
    else:
        monkeypatch.setattr(service, "KEEP_PARSED", 10)  # parsed again for the write, after the rewind
        spool = _SetOnRewind(body, cancelled)
    with pytest.raises(ImportCancelled):
        service.run_import(state, caller, lst["id"], BulkFormat.JSONL, spool, cancelled)
    assert hub.client.get(f"/v1/hash-lists/{lst['id']}", headers=hub.auth("owner")).json()["last_seq"] == 0
