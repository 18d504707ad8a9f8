"""Attachments through the client: a 10 MB random file round-trips byte for byte; 60 MB is refused."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pytest

from pyral import Rally
from pyral.errors import RallyValidationError


def test_ten_megabytes_round_trip(connect_both: Any, tmp_path: Any) -> None:
    rally, _ = connect_both()
    story = rally.create("Story", {"Name": "carries a big file"})
    data = os.urandom(10 * 1024 * 1024)
    path = tmp_path / "random.bin"
    path.write_bytes(data)
    att = rally.addAttachment(story, str(path), mime_type="application/octet-stream")
    assert att.Size == len(data)
    fresh = rally.get("Story", fetch="Attachments", query=f"FormattedID = {story.FormattedID}", instance=True)
    got = rally.getAttachment(fresh, "random.bin")
    assert got is not None and hashlib.sha256(got.Content).digest() == hashlib.sha256(data).digest()


def test_sixty_megabytes_is_refused_before_anything_is_sent(connect_both: Any, tmp_path: Any) -> None:
    rally, sent = connect_both()
    story = rally.create("Story", {"Name": "too big to carry"})
    path = tmp_path / "huge.bin"
    with open(path, "wb") as fh:
        fh.truncate(60 * 1000 * 1000)
    sent.reset()
    with pytest.raises(RallyValidationError, match="too large"):
        rally.addAttachment(story, str(path))
    assert [r for r in sent.sent if r.method != "GET"] == []
    assert rally.getAttachmentNames(story) == []
    assert Rally.MAX_ATTACHMENT_SIZE == 50_000_000
