"""Upstream pyral 1.7.0 ranking, attachments, recycle bin and batch operations against the
emulator (upstream test_ranking, test_attachments, test_recyclebin, test_create_multiple,
test_update_multiple, on seeded data)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.upstream

RANKERS = [f"Ranked {c}" for c in "ABCDEFG"]
# (op, args...) as upstream's test_ranking: above(reference, target), below(reference, target), top, bottom
RANK_OPS = [("above", "Ranked A", "Ranked E"), ("below", "Ranked E", "Ranked C"), ("top", "Ranked G"),
            ("bottom", "Ranked B"), ("above", "Ranked D", "Ranked F"), ("below", "Ranked G", "Ranked B")]


def simulate(order: list[str], op: str, *args: str) -> list[str]:
    order = list(order)
    if op in ("above", "below"):
        reference, target = args
        order.remove(target)
        at = order.index(reference) + (op == "below")
        order.insert(at, target)
    else:
        order.remove(args[0])
        order.insert(0 if op == "top" else len(order), args[0])
    return order


@pytest.fixture(scope="module")
def result(drive, wsapi, upstream_emulator):
    ws, sample = wsapi.workspace(), wsapi.project("Sample Project")
    rankers = wsapi.create("Project", {"Name": "Rankers", "Workspace": ws["_ref"]})
    for name in RANKERS:
        wsapi.create("HierarchicalRequirement", {"Name": name, "Project": rankers["_ref"]})
    story = wsapi.create("HierarchicalRequirement", {"Name": "Has attachments", "Project": sample["_ref"]})
    initial = [s["Name"] for s in wsapi.query("hierarchicalrequirement", fetch="Name", order="Rank",
                                             project=wsapi.short_ref(rankers), projectScopeDown="false")]
    return drive("misc", data={"rank_ops": RANK_OPS, "rank_initial": initial,
                               "attach_story": story["FormattedID"]})


def test_rank_order_matches_wsapi(result):
    assert sorted(result["initial_rank_order"]) == RANKERS
    assert result["initial_rank_order"] == result["ranking"]["initial"]


def test_ranking_operations(result):
    out = result["ranking"]
    order = out["initial"]
    assert len(out["steps"]) == len(RANK_OPS)  # zip() below would silently stop at a short list
    for (op, *args), step in zip(RANK_OPS, out["steps"]):
        order = simulate(order, op, *args)
        assert step["status"] == 200, (op, args)
        assert step["order"] == order, (op, args)
        assert step["lexical"] is True  # DragAndDropRank strings sort in rank order


def test_binary_attachment_round_trip(result):
    out = result["attachments"]
    assert out["name"] == "glacier.png"
    assert out["size"] == out["len_sent"]
    assert out["content_type"] == "image/png"
    assert out["got_type"] == ["bytes", "image/png", "glacier.png"]
    assert (out["sha_got"], out["len_got"]) == (out["sha_sent"], out["len_sent"])


def test_attachment_listing_and_delete(result):
    out = result["attachments"]
    assert out["again_name"] == "notes.txt"
    assert sorted(out["names"]) == ["glacier.png", "notes.txt"]
    assert out["text"] == "line one\nline two\n"
    assert out["all"] == ["glacier.png", "notes.txt"]
    assert out["after_delete"] == ["glacier.png"]


def test_attachment_after_fetch_list_query(result):
    out = result["attachment_after_fetch_list_query"]
    assert out["names"] == ["glacier.png", "glacier.png"]
    assert out["same_content"] is True
    assert out["sha"] == result["attachments"]["sha_sent"]


def test_recycle_bin(result):
    out = result["recycle_bin"]
    assert out["deleted"] is True
    assert out["entries"] == [["Gone but not forgotten with the wind", out["fid"]]]
    assert out["class"] == ["RecycleBinEntry"]
    assert "create operation unsupported for RecycleBinEntry" in out["create_refused"]


def test_create_multiple(result):
    out = result["create_multiple"]
    assert out["dicts"] == [["Multi A", "US", True, "hierarchicalrequirement"],
                            ["Multi B", "US", True, "hierarchicalrequirement"]]
    assert out["instances"] == [["Multi C", "US"], ["Multi D", "US"]]


def test_update_multiple(result):
    out = result["update_multiple"]
    assert out["count"] == 4
    assert out["after"] == [[f"Multi {c}", f"bulk note Multi {c}", 3] for c in "ABCD"]
