"""Nothing that reaches the deterrence endpoints is stored or logged: a real ``sharedhash serve`` process gets
distinctive placeholder queries from a distinctive client address; then every table, the raw database files, the
server's whole log output (uvicorn's access log included) and the audit log are searched for them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import MetaData, select

from sharedhash.deterrence import normalise
from sharedhash.store.db import open_database
from tests.support.deterrence import ZORBLAX, hash_json
from tests.support.hub import seed_orgs
from tests.support.live import free_port

# Invented words that appear nowhere else; each query carries one.
SENTINELS = ("vexillombra", "trundlequav", "quorpelsnid", "blintwhistor", "zamfrogulet")
CLIENT_IP = "127.0.0.77"  # the deterrence calls come from here; other calls from 127.0.0.1
CONTROL_IP = "127.0.0.78"  # one ordinary call from here proves the access log does show addresses


def _client(base: str, ip: str | None = None, key: str | None = None) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=ip) if ip else None
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=base, transport=transport, headers=headers, timeout=30)


def _dump_tables(url: str) -> str:
    db = open_database(url, migrate=False)
    try:
        meta = MetaData()
        meta.reflect(db.engine)
        assert {"deterrence_counters", "deterrence_links", "audit_events", "entry_hashes"} <= set(meta.tables)
        with db.reading() as s:
            return "\n".join(repr(row) for table in meta.sorted_tables for row in s.execute(select(table)))
    finally:
        db.dispose()


def test_no_query_and_no_address_is_stored_or_logged(database_url: str, tmp_path: Path) -> None:
    keys = seed_orgs(database_url)
    port = free_port()
    env = {**os.environ, "SHAREDHASH_DATABASE_URL": database_url, "SHAREDHASH_DATA_DIR": str(tmp_path / "data")}
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            # With the access log on (it is off by default), so the test also covers its redaction.
            [
                str(Path(sys.executable).parent / "sharedhash"),
                "serve",
                "--access-log",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        admin = _client(base, key=keys["owner"])
        deadline = time.monotonic() + 60
        while True:
            try:
                if admin.get("/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.2)
        lst = admin.post("/v1/hash-lists", json={"name": "terms"}).json()
        body = {"hashes": [hash_json("term", ZORBLAX)]}
        assert admin.post(f"/v1/hash-lists/{lst['id']}/entries", json=body).status_code == 201
        assert admin.put("/v1/deterrence/settings", json={"public": True}).status_code == 200
        deadline = time.monotonic() + 10  # the new rule takes effect with the server's next watcher round
        while not admin.post("/v1/deterrence/check", json={"query": "zorblax"}).json()["deter"]:
            assert time.monotonic() < deadline, "the rule did not take effect"
            time.sleep(0.1)
        before = admin.get("/v1/deterrence/stats").json()["days"][0]["checks"]

        s1, s2, s3, s4, s5 = SENTINELS
        with _client(base, CLIENT_IP, keys["owner"]) as searcher:
            answer = searcher.post("/v1/deterrence/check", json={"query": f"zorblax {s1}", "locale": "en-GB"})
            assert answer.json()["deter"] is True
            assert searcher.post("/v1/deterrence/check", json={"query": f"{s2} garden"}).json()["deter"] is False
            html = searcher.post("/v1/deterrence/check.html", json={"query": f"z0rblax {s3}"})
            assert "sharedhash-deterrence" in html.text
            # A careless caller puts the query in the URL too: the access log must not keep it.
            r = searcher.post(f"/v1/deterrence/check?q={s4}", json={"query": f"{s4} zorblax"})
            assert r.json()["deter"] is True
            for link in answer.json()["resources"]:
                assert searcher.get(link["url"], follow_redirects=False).status_code == 302
        with _client(base, CLIENT_IP) as anonymous:
            r = anonymous.post("/v1/orgs/owner/deterrence/check", json={"query": f"zorblax {s5}"})
            assert r.json()["deter"] is True
        with _client(base, CONTROL_IP, keys["owner"]) as control:
            assert control.get("/v1/orgs/me").status_code == 200
        stats = admin.get("/v1/deterrence/stats").json()
        assert stats["days"][0]["checks"] == before + 5
        assert stats["days"][0]["clicks"] >= 1
        audit_text = admin.get("/v1/audit", params={"limit": 1000}).text
        assert "deterrence.check" in audit_text
        admin.close()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    logs = log_path.read_text(encoding="utf-8", errors="replace")
    assert f"{CONTROL_IP}:" in logs, logs  # the access log is on and would show an address
    assert "POST /v1/deterrence/check HTTP/1.1" in logs  # deterrence requests are logged, without the client
    searched = {"log output": logs, "database tables": _dump_tables(database_url), "audit log": audit_text}
    if database_url.startswith("sqlite:///"):
        db_file = Path(database_url.removeprefix("sqlite:///"))
        for path in db_file.parent.glob(db_file.name + "*"):
            searched[f"raw file {path.name}"] = path.read_bytes().decode("latin-1")
    needles = [CLIENT_IP]
    for word in SENTINELS:
        needles += [word, normalise(word).despaced]
    for where, text in searched.items():
        for needle in needles:
            assert needle not in text, f"{needle!r} found in the {where}"
