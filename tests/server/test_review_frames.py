""" "Show only the matched frames" of a video: the item lists the matched seconds from the vPDQ match facts; with a
quarantined video the server cuts those frames out (PyAV) as pictures, each view recorded and counted; with a
proxied video the page's buttons seek the paused player to each second."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from sharedhash.errors import NotFoundError
from sharedhash.server.review import frames, quarantine, service
from sharedhash.store.db import Database
from sharedhash.store.models import AuditEvent, ContentCheck, ContentMatch, MediaView
from sharedhash.store.review import settings_for_update
from sharedhash.store.visibility import Caller
from tests.support.review import ReviewHub, person, queued, review_state
from tests.support.store import make_org
from tests.support.video_clips import frame_pixels, write_clip

RUNS = [{"start": 0.5, "end": 1.5, "frames": 3}]


def _as_video_match(db: Database, check_id: int, runs: list[dict[str, float]]) -> None:
    with db.writing() as s:
        check = s.get(ContentCheck, check_id)
        assert check is not None
        check.content_type = "video"
        for match in s.scalars(select(ContentMatch).where(ContentMatch.check_id == check_id)):
            match.details = {"query_seconds": runs, "query_percent": 40.0, "listed_percent": 90.0}


def _quarantined_video(db: Database, tmp_path: Path, org: Caller, n: int) -> tuple[int, int]:
    with db.writing() as s:
        settings_for_update(s, org.org_id).quarantine = True
    content = queued(db, org, n=n)
    _as_video_match(db, content.check_id, RUNS)
    write_clip(tmp_path / "clip.mp4", frames=30, fps=10, width=64, height=48)
    return content.item_id, content.check_id


def test_matched_seconds_come_from_the_runs() -> None:
    assert frames.matched_seconds([{"query_seconds": RUNS}]) == [0.5, 1.0, 1.5]
    assert frames.matched_seconds([{"query_seconds": [{"start": 2, "end": 2, "frames": 1}]}, {}]) == [2.0]
    assert frames.matched_seconds([{"query_seconds": [{"start": "x"}]}]) == []
    many = frames.matched_seconds([{"query_seconds": [{"start": 0, "end": 99, "frames": 100}]}])
    assert len(many) == frames.MAX_FRAMES
    assert many[0] == 0
    assert many[-1] == 99


def test_a_quarantined_videos_matched_frames_are_cut_out(db: Database, tmp_path: Path) -> None:
    state = review_state(db, tmp_path)
    org = make_org(db, "quuxvid")
    who = person(state, org, "mod")
    item_id, check_id = _quarantined_video(db, tmp_path, org, 1)
    quarantine.put(state, org, check_id, (tmp_path / "clip.mp4").read_bytes(), "video/mp4")
    view = service.view_item(state, who, item_id)
    assert view.quarantined
    assert view.matched_seconds == [0.5, 1.0, 1.5]
    shown = service.frame(state, who, item_id, 1)
    assert shown.content_type == "image/png"
    picture = np.asarray(Image.open(io.BytesIO(shown.content)).convert("RGB"), dtype=np.int16)
    assert picture.shape == (48, 64, 3)
    # The frame at 1.0 s of a 10 fps clip is frame 10: nearer to it than to its neighbours further away.
    errors = {i: float(np.abs(picture - frame_pixels(i, 64, 48)).mean()) for i in (0, 5, 10, 15, 20)}
    assert min(errors, key=errors.__getitem__) == 10
    with db.reading() as s:
        assert [v.size for v in s.scalars(select(MediaView))] == ["frame"]
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.action == "review.media.frame"))
    assert event.detail["second"] == 1.0
    assert event.detail["exposure_today"] == 1
    with pytest.raises(NotFoundError):
        service.frame(state, who, item_id, 3)  # only three matched frames


def test_frames_need_a_quarantined_video_of_the_persons_org(db: Database, tmp_path: Path) -> None:
    state = review_state(db, tmp_path)
    org, other = make_org(db, "quuxvid"), make_org(db, "zorbnet")
    who, stranger = person(state, org, "mod"), person(state, other, "eve")
    content = queued(db, org, n=1, url="https://media.quuxvid.test/v/1.mp4")
    _as_video_match(db, content.check_id, RUNS)
    with pytest.raises(NotFoundError):
        service.frame(state, who, content.item_id, 0)  # proxied: the player seeks instead
    with pytest.raises(NotFoundError):
        service.frame(state, stranger, content.item_id, 0)
    with db.reading() as s:
        refused = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "review.refused")))
    assert refused[-1].detail["attempted"] == "media.frame"


def test_the_item_page_lists_the_matched_seconds(review_hub: ReviewHub, tmp_path: Path) -> None:
    db = review_hub.state.db
    org = review_hub.orgs["quuxvid"]
    review_hub.add("quuxvid", "ann")
    proxied = queued(db, org, n=1, url="https://media.quuxvid.test/v/1.mp4")
    _as_video_match(db, proxied.check_id, RUNS)
    item_id, check_id = _quarantined_video(db, tmp_path, org, 2)
    quarantine.put(review_hub.state, org, check_id, (tmp_path / "clip.mp4").read_bytes(), "video/mp4")
    client, _ = review_hub.sign_in("ann")
    page = client.get(f"/ui/items/{proxied.item_id}").text
    assert 'data-seek="0.5"' in page
    assert 'data-seek="1.5"' in page
    assert 'id="only-frames"' not in page  # proxied: seek buttons only
    page = client.get(f"/ui/items/{item_id}").text
    assert 'id="only-frames"' in page
    assert f'data-src="/ui/items/{item_id}/frames/2"' in page
    assert 'class="media frames blur-' in page  # the same wellness classes as the media
    frame = client.get(f"/ui/items/{item_id}/frames/0")
    assert frame.status_code == 200
    assert frame.headers["content-type"] == "image/png"
    assert "no-store" in frame.headers["cache-control"]
    review_hub.add("zorbnet", "eve")
    other, _ = review_hub.sign_in("eve")
    assert other.get(f"/ui/items/{item_id}/frames/0").status_code == 404
