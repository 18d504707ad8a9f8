"""Entities outlive the expression that made them; a closed Rally fails with a pyral error."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from pyral import Rally
from pyral.errors import RallyConnectionError, RallyError


def test_entities_keep_their_rally_alive(demo_emulator: Any) -> None:
    # Upstream kept every Rally in a module-global cache, so this idiom worked there.
    stories = list(Rally(demo_emulator.url, apikey=demo_emulator.admin_api_key)
                   .get("Story", fetch="FormattedID,Name", query="DirectChildrenCount = 0", pagesize=5, limit=5,
                        project=None))
    gc.collect()
    assert len(stories) == 5
    assert all(len(story.Tasks) >= 1 for story in stories)  # a lazy collection load per story
    assert stories[0].Project.Name  # a lazy reference load


def test_closed_rally_raises_a_pyral_error(demo_emulator: Any) -> None:
    rally = Rally(demo_emulator.url, apikey=demo_emulator.admin_api_key)
    story = next(iter(rally.get("Story", fetch=False, pagesize=1, limit=1, project=None)))
    rally.close()
    with pytest.raises(RallyConnectionError, match="closed"):
        _ = story.ScheduleState
    with pytest.raises(RallyError):
        rally.get("Defect")
