"""The opt-in quarantine store: files encrypted at rest (the bytes on disk are not the file), shown through the
media route (audited), deleted after a false positive, kept for the preservation period after a confirmation and
purged after it, purged after the retention period undecided; other orgs' checks 404, files over the limit 413,
quarantine off 409, not media 415."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from sharedhash.errors import NotFoundError
from sharedhash.server.review import quarantine, service
from sharedhash.store.db import Database
from sharedhash.store.lists import create_list
from sharedhash.store.models import AuditEvent, MediaView, QuarantineFile, Visibility, utcnow
from sharedhash.store.review import settings_for_update
from sharedhash.store.secretbox import SecretKeyError
from sharedhash.store.visibility import Caller
from tests.support.act import check
from tests.support.api import md5
from tests.support.hub import Hub, state_of
from tests.support.review import ReviewHub, benign_png, person, queued, review_state
from tests.support.store import make_org


def _quarantine_on(db: Database, org_id: int) -> None:
    with db.writing() as s:
        settings_for_update(s, org_id).quarantine = True


def _row(db: Database, check_id: int) -> QuarantineFile:
    with db.reading() as s:
        row = s.scalar(select(QuarantineFile).where(QuarantineFile.check_id == check_id))
        assert row is not None
        s.expunge(row)
        return row


def _actions(db: Database, action: str) -> list[AuditEvent]:
    with db.reading() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _setup(db: Database, tmp_path: Path, **settings: object) -> tuple[object, Caller, object]:
    state = review_state(db, tmp_path, **settings)
    org = make_org(db, "quuxvid")
    _quarantine_on(db, org.org_id)
    return state, org, person(state, org, "mod-1")


def test_the_bytes_on_disk_are_encrypted_and_the_review_page_sees_the_file(db: Database, tmp_path: Path) -> None:
    state, org, who = _setup(db, tmp_path)
    content = queued(db, org, n=1)
    picture = benign_png()
    stored = quarantine.put(state, org, content.check_id, picture, "image/png")  # type: ignore[arg-type]
    assert stored.size == len(picture)
    assert stored.media_type == "image/png"
    row = _row(db, content.check_id)
    on_disk = (tmp_path / "data" / "quarantine" / row.path).read_bytes()
    assert on_disk != picture
    assert picture[:64] not in on_disk
    assert b"PNG" not in on_disk[:16]
    assert len(on_disk) == len(picture) + 16  # AES-GCM: same length plus the tag
    assert (tmp_path / "data" / "quarantine" / row.path).stat().st_mode & 0o077 == 0
    view = service.view_item(state, who, content.item_id)  # type: ignore[arg-type]
    assert view.has_media
    assert view.quarantined
    shown = service.media(state, who, content.item_id, "full")  # type: ignore[arg-type]
    assert shown.content == picture
    assert shown.content_type == "image/png"
    thumb = service.media(state, who, content.item_id, "thumb")  # type: ignore[arg-type]
    assert thumb.content_type == "image/png"
    assert thumb.content != picture
    (event,) = _actions(db, "review.media.full")
    assert event.detail["source"] == "quarantine"
    assert event.detail["check_id"] == content.check_id
    with db.reading() as s:
        assert {v.size for v in s.scalars(select(MediaView))} == {"full", "thumb"}
    (stored_event,) = _actions(db, "quarantine.store")
    assert stored_event.detail == {"size": len(picture), "media_type": "image/png", "replaced": False}


def test_changed_bytes_or_another_checks_file_do_not_open(db: Database, tmp_path: Path) -> None:
    state, org, who = _setup(db, tmp_path)
    first, second = queued(db, org, n=1), queued(db, org, n=2)
    quarantine.put(state, org, first.check_id, benign_png(), "image/png")  # type: ignore[arg-type]
    quarantine.put(state, org, second.check_id, benign_png(200), "image/png")  # type: ignore[arg-type]
    a, b = _row(db, first.check_id), _row(db, second.check_id)
    folder = tmp_path / "data" / "quarantine"
    # Swap the two files: each is bound to its own check (associated data), so neither opens as the other.
    data_a, data_b = (folder / a.path).read_bytes(), (folder / b.path).read_bytes()
    (folder / a.path).write_bytes(data_b)
    with pytest.raises(SecretKeyError):
        service.media(state, who, first.item_id, "full")  # type: ignore[arg-type]
    flipped = bytearray(data_a)
    flipped[10] ^= 1
    (folder / a.path).write_bytes(bytes(flipped))
    with pytest.raises(SecretKeyError):
        service.media(state, who, first.item_id, "full")  # type: ignore[arg-type]


def test_a_false_positive_deletes_the_file_at_once(db: Database, tmp_path: Path) -> None:
    state, org, who = _setup(db, tmp_path)
    content = queued(db, org, n=1)
    quarantine.put(state, org, content.check_id, benign_png(), "image/png")  # type: ignore[arg-type]
    path = tmp_path / "data" / "quarantine" / _row(db, content.check_id).path
    assert path.exists()
    service.take_next(state, who)  # type: ignore[arg-type]
    service.decide(state, who, content.item_id, "false_positive")  # type: ignore[arg-type]
    assert not path.exists()
    row = _row(db, content.check_id)
    assert row.deleted_at is not None
    assert row.deleted_reason == "decided"
    (decided,) = _actions(db, "review.false_positive")
    assert decided.detail["quarantine_deleted"] is True
    with pytest.raises(NotFoundError):
        service.media(state, who, content.item_id, "full")  # type: ignore[arg-type]
    # Nothing is stored again for decided content.
    with pytest.raises(quarantine.QuarantineClosedError):
        quarantine.put(state, org, content.check_id, benign_png(), "image/png")  # type: ignore[arg-type]


def test_a_confirmed_file_is_kept_for_the_preservation_period_then_purged(db: Database, tmp_path: Path) -> None:
    state, org, who = _setup(db, tmp_path, quarantine_preservation_days=365)
    content = queued(db, org, n=1)
    quarantine.put(state, org, content.check_id, benign_png(), "image/png")  # type: ignore[arg-type]
    path = tmp_path / "data" / "quarantine" / _row(db, content.check_id).path
    service.take_next(state, who)  # type: ignore[arg-type]
    service.decide(state, who, content.item_id, "confirmed", "A1")  # type: ignore[arg-type]
    row = _row(db, content.check_id)
    assert row.preserve_until is not None
    assert abs(row.preserve_until - (utcnow() + timedelta(days=365))) < timedelta(minutes=5)
    # Past its retention period but preserved: the purge keeps it.
    with db.writing() as s:
        s.get(QuarantineFile, row.id).expires_at = utcnow() - timedelta(days=1)  # type: ignore[union-attr]
    assert quarantine.purge(state) == 0  # type: ignore[arg-type]
    assert path.exists()
    assert service.media(state, who, content.item_id, "full").content == benign_png()  # type: ignore[arg-type]
    # The preservation period ends: purged, and the row records why.
    with db.writing() as s:
        s.get(QuarantineFile, row.id).preserve_until = utcnow() - timedelta(seconds=1)  # type: ignore[union-attr]
    assert quarantine.purge(state) == 1  # type: ignore[arg-type]
    assert not path.exists()
    assert _row(db, content.check_id).deleted_reason == "preservation_ended"
    (purged,) = _actions(db, "quarantine.purge")
    assert purged.org_id == org.org_id
    assert purged.detail == {"reason": "preservation_ended"}


def test_a_filed_report_keeps_its_quarantined_files_for_the_period_counted_from_the_report(
    db: Database, tmp_path: Path
) -> None:
    from sharedhash.store import quarantine as quarantine_store

    state, org, who = _setup(db, tmp_path, quarantine_preservation_days=365)
    content = queued(db, org, n=1)
    quarantine.put(state, org, content.check_id, benign_png(), "image/png")  # type: ignore[arg-type]
    service.take_next(state, who)  # type: ignore[arg-type]
    service.decide(state, who, content.item_id, "confirmed", "A1")  # type: ignore[arg-type]
    confirmed_until = _row(db, content.check_id).preserve_until
    assert confirmed_until is not None
    later, earlier = utcnow() + timedelta(days=400), utcnow() + timedelta(days=10)
    other = make_org(db, "otherquux")
    with db.writing() as s:  # another org's report never touches this org's files
        assert quarantine_store.preserve_reported(s, other.org_id, [content.item_id], later) == 0
    assert _row(db, content.check_id).preserve_until == confirmed_until
    with db.writing() as s:  # a report filed later: kept a year from the report
        assert quarantine_store.preserve_reported(s, org.org_id, [content.item_id], later) == 1
    assert _row(db, content.check_id).preserve_until == later
    with db.writing() as s:  # never shortened
        assert quarantine_store.preserve_reported(s, org.org_id, [content.item_id], earlier) == 1
    assert _row(db, content.check_id).preserve_until == later


def test_an_undecided_file_is_purged_after_the_retention_period(db: Database, tmp_path: Path) -> None:
    state, org, _ = _setup(db, tmp_path)
    content = queued(db, org, n=1)
    quarantine.put(state, org, content.check_id, benign_png(), "image/png")  # type: ignore[arg-type]
    row = _row(db, content.check_id)
    path = tmp_path / "data" / "quarantine" / row.path
    assert quarantine.purge(state) == 0  # type: ignore[arg-type]
    assert path.exists()
    with db.writing() as s:
        s.get(QuarantineFile, row.id).expires_at = utcnow() - timedelta(seconds=1)  # type: ignore[union-attr]
    assert quarantine.purge(state) == 1  # type: ignore[arg-type]
    assert not path.exists()
    assert _row(db, content.check_id).deleted_reason == "retention"


def test_escalation_keeps_the_file_for_the_lead(db: Database, tmp_path: Path) -> None:
    state, org, who = _setup(db, tmp_path)
    content = queued(db, org, n=1)
    quarantine.put(state, org, content.check_id, benign_png(), "image/png")  # type: ignore[arg-type]
    service.take_next(state, who)  # type: ignore[arg-type]
    service.decide(state, who, content.item_id, "escalated")  # type: ignore[arg-type]
    row = _row(db, content.check_id)
    assert row.deleted_at is None
    assert row.preserve_until is None


def test_other_orgs_checks_quarantine_off_and_wrong_types_are_refused(db: Database, tmp_path: Path) -> None:
    state, org, _ = _setup(db, tmp_path)
    other = make_org(db, "zorbnet")
    content = queued(db, org, n=1)
    _quarantine_on(db, other.org_id)
    with pytest.raises(NotFoundError):
        quarantine.put(state, other, content.check_id, benign_png(), "image/png")  # type: ignore[arg-type]
    theirs = queued(db, other, n=2)
    with db.writing() as s:
        settings_for_update(s, other.org_id).quarantine = False
    with pytest.raises(quarantine.QuarantineOffError):
        quarantine.put(state, other, theirs.check_id, benign_png(), "image/png")  # type: ignore[arg-type]
    with pytest.raises(quarantine.QuarantineMediaTypeError):
        quarantine.put(state, org, content.check_id, b"zorblax", "text/html")  # type: ignore[arg-type]
    assert not list((tmp_path / "data" / "quarantine").glob("*"))
    with db.reading() as s:
        assert s.scalar(select(QuarantineFile)) is None


# --- Through the API (the platform's API key) ----------------------------------------------------------------


def _hub_check(act_hub: Hub, n: int, who: str = "owner") -> int:
    return int(check(act_hub, f"upload-{n}", ("md5", md5(n)), who=who)["check_id"])


def _org_id(act_hub: Hub, name: str) -> int:
    from sharedhash.store.orgs import get_org_by_name

    with state_of(act_hub).db.reading() as s:
        return get_org_by_name(s, name).id


def test_api_put_stores_and_answers_errors_with_codes(act_hub: Hub) -> None:
    state = state_of(act_hub)
    check_id = _hub_check(act_hub, 1)
    picture = benign_png()
    url = f"/v1/checks/{check_id}/media"
    png = {"Content-Type": "image/png"}
    off = act_hub.client.put(url, content=picture, headers={**act_hub.auth("owner"), **png})
    assert off.status_code == 409, off.text
    assert off.json()["error"]["code"] == "quarantine_off"
    _quarantine_on(state.db, _org_id(act_hub, "owner"))
    stored = act_hub.client.put(url, content=picture, headers={**act_hub.auth("owner"), **png})
    assert stored.status_code == 200, stored.text
    assert stored.json()["size"] == len(picture)
    assert stored.json()["media_type"] == "image/png"
    # Another org's check: 404, even with quarantine on for that org.
    _quarantine_on(state.db, _org_id(act_hub, "stranger"))
    other = act_hub.client.put(url, content=picture, headers={**act_hub.auth("stranger"), **png})
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "not_found"
    html = {**act_hub.auth("owner"), "Content-Type": "text/html"}
    wrong = act_hub.client.put(url, content=b"<p>zorblax</p>", headers=html)
    assert wrong.status_code == 415
    assert wrong.json()["error"]["code"] == "quarantine_media_type"
    # Over the limit: 413, and the kept file is unchanged.
    state.settings.quarantine_max_bytes = 2048
    big = act_hub.client.put(url, content=b"\0" * 4096, headers={**act_hub.auth("owner"), **png})
    assert big.status_code == 413
    assert big.json()["error"]["code"] == "quarantine_too_large"
    row = _row(state.db, check_id)
    assert row.size == len(picture)
    assert row.deleted_at is None


def test_the_content_check_can_quarantine_its_upload(act_hub: Hub) -> None:
    state = state_of(act_hub)
    picture = benign_png()
    form = {"content_id": "upload-quarantined", "content_type": "image", "quarantine": "true"}
    files = {"file": ("zorblax.png", picture, "image/png")}
    refused = act_hub.client.post("/v1/content", data=form, files=files, headers=act_hub.auth("owner"))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "quarantine_off"
    _quarantine_on(state.db, _org_id(act_hub, "owner"))
    answer = act_hub.client.post("/v1/content", data=form, files=files, headers=act_hub.auth("owner"))
    assert answer.status_code == 200, answer.text
    row = _row(state.db, answer.json()["check_id"])
    assert row.size == len(picture)
    assert row.media_type == "image/png"
    bad = act_hub.client.post(
        "/v1/content", data={**form, "quarantine": "maybe"}, files=files, headers=act_hub.auth("owner")
    )
    assert bad.status_code == 400
    assert "quarantine" in bad.json()["error"]["message"]


def test_admins_turn_quarantine_and_contribution_on_in_the_settings(review_hub: ReviewHub) -> None:
    review_hub.add("quuxvid", "adm", role="admin")
    review_hub.add("quuxvid", "mod")
    admin, csrf = review_hub.sign_in("adm")
    got = admin.get("/v1/review/settings").json()
    assert got["quarantine"] is False
    assert got["contribute_list_id"] is None
    with review_hub.state.db.writing() as s:
        own = create_list(s, review_hub.orgs["quuxvid"], "confirmed-here", visibility=Visibility.PRIVATE).id
    changed = admin.patch(
        "/v1/review/settings", json={"quarantine": True, "contribute_list_id": own}, headers={"X-CSRF-Token": csrf}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["quarantine"] is True
    assert changed.json()["contribute_list_id"] == own
    assert changed.json()["daily_cap"] == got["daily_cap"]  # fields not given stay
    forged = admin.patch("/v1/review/settings", json={"quarantine": False}, headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403
    moderator, mod_csrf = review_hub.sign_in("mod")
    refused = moderator.patch("/v1/review/settings", json={"quarantine": False}, headers={"X-CSRF-Token": mod_csrf})
    assert refused.status_code == 404
    # The admin page's form: an unticked box turns quarantine off; an empty list id turns contribution off.
    page = admin.get("/ui/admin").text
    assert 'id="quarantine" checked' in page
    assert f'value="{own}"' in page
    saved = admin.post("/ui/admin/settings", data={"csrf": csrf, "daily_cap": "200", "break_every": "25"})
    assert saved.status_code == 303
    after = admin.get("/v1/review/settings").json()
    assert after["quarantine"] is False
    assert after["contribute_list_id"] is None


def test_the_media_route_serves_byte_ranges_for_video_players(review_hub: ReviewHub) -> None:
    db = review_hub.state.db
    org = review_hub.orgs["quuxvid"]
    _quarantine_on(db, org.org_id)
    review_hub.add("quuxvid", "ann")
    content = queued(db, org, n=1)
    picture = benign_png()
    quarantine.put(review_hub.state, org, content.check_id, picture, "image/png")
    client, _ = review_hub.sign_in("ann")
    url = f"/ui/items/{content.item_id}/media?size=full"
    whole = client.get(url)
    assert whole.status_code == 200
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.content == picture
    first = client.get(url, headers={"Range": "bytes=0-99"})
    assert first.status_code == 206
    assert first.headers["content-range"] == f"bytes 0-99/{len(picture)}"
    assert first.content == picture[:100]
    rest = client.get(url, headers={"Range": "bytes=100-"})
    assert rest.status_code == 206
    assert rest.content == picture[100:]
    beyond = client.get(url, headers={"Range": f"bytes={len(picture)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(picture)}"
    # Every request is recorded; a continued range (start past 0) does not count toward the cap again.
    counted = [e.detail["exposure_today"] for e in _actions(db, "review.media.full")]
    assert counted == [1, 2, 2, 2]
    assert [e.detail["continued"] for e in _actions(db, "review.media.full")] == [False, False, True, True]
