"""createMultiple/updateMultiple: every item accounted for, client-side problems per item.

Tests taking ``connect_both`` run against ``Rally`` and ``AsyncRally`` (tests/client/conftest.py)."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from pyral.errors import RallyRESTAPIError


def test_update_by_formatted_id_resolves_ids_in_one_query(connect_both: Any) -> None:
    rally, sent = connect_both()
    made = rally.createMultiple("Story", [{"Name": f"bulk {i}"} for i in range(30)])
    assert len(made) == 30 and not made.failures
    before = len(sent.sent)
    items = [{"FormattedID": m["FormattedID"], "Notes": f"note {i}"} for i, m in enumerate(made)]
    items.insert(7, {"FormattedID": "US999999", "Notes": "nobody"})
    items.insert(12, {"ObjectID": made[0]["ObjectID"], "Bogus": 1})
    items.insert(20, {"Notes": "no id at all"})
    done = rally.updateMultiple("Story", items)
    requests = sent.sent[before:]
    lookups = [r for r in requests if r.method == "GET" and "typedefinition" not in r.url.path.lower()]
    assert len(lookups) == 1  # one FormattedID query for 31 IDs, not one per item
    assert len(requests) == 4  # + the type's two reads ("Bogus" needs checking) + the batch
    assert len(done) == 30
    assert [(index, errors) for index, _, errors in done.failures] == [
        (7, ["HierarchicalRequirement US999999 could not be located"]),
        (12, ["unknown attribute Bogus"]),
        (20, ["no ObjectID or FormattedID"]),
    ]
    story = rally.get("Story", fetch="Notes", query=f'FormattedID = {made[5]["FormattedID"]}', instance=True)
    assert story.Notes == "note 5"


def test_mixed_valid_and_invalid_creates(connect_both: Any) -> None:
    rally, _ = connect_both()
    items: list[dict[str, Any]] = [{"Name": f"ok {i}"} for i in range(10)]
    items[3] = {"Name": "bad ref", "Owner": "/user/1"}
    items[6] = {"Name": "bad state", "ScheduleState": "Sleeping"}
    items[8] = {"Nonsense": True}
    made = rally.createMultiple("Story", items)
    assert [m["Name"] for m in made] == [f"ok {i}" for i in (0, 1, 2, 4, 5, 7, 9)]
    assert [index for index, _, _ in made.failures] == [3, 6, 8]
    assert "invalid value" in made.failures[1][2][0]
    assert made.failures[2][2] == ["unknown attribute Nonsense"]


def test_a_thousand_items_in_one_create_multiple(connect_both: Any) -> None:
    rally, _ = connect_both()
    items: list[dict[str, Any]] = [{"Name": f"k{i}", "PlanEstimate": i % 5, "Blocked": i % 2 == 0,
                                    "Notes": "bulk", "Iteration": None} for i in range(1000)]
    bad = {5: {"Name": "k5", "ScheduleState": "Dreaming"}, 333: {"Name": "k333", "PlanEstimate": "many"},
           700: {"Name": "k700", "Owner": "InfinityDrain"}, 999: {"PlanEstimate": 1}}
    for index, item in bad.items():
        items[index] = item
    made = rally.createMultiple("Story", items)
    assert len(made) == 996
    assert [m["Name"] for m in made] == [f"k{i}" for i in range(1000) if i not in bad]
    failures = {index: errors for index, _, errors in made.failures}
    assert set(failures) == set(bad)
    assert "invalid value" in failures[5][0]
    assert "many" in failures[333][0]
    assert failures[700] == ['Cannot parse object reference from "InfinityDrain"']
    assert failures[999] == ["Validation error: HierarchicalRequirement.Name should not be null"]
    assert rally.get("Story", query='Notes contains "bulk"', project=None, pagesize=1).resultCount == 996


def test_delete_can_say_why_rally_refused(connect_both: Any) -> None:
    admin, _ = connect_both()
    tag = admin.create("Tag", {"Name": "keep me"})
    assert admin.delete("Tag", tag.oid) is False  # upstream's answer: Tags are not deletable
    with pytest.raises(RallyRESTAPIError, match="Unable to delete the Tag: Cannot delete an object of type Tag"):
        admin.delete("Tag", tag.oid, raise_on_error=True)


def test_batches_are_as_few_as_rally_accepts_and_sent_together(connect: Any) -> None:
    from client_helpers import CountingTransport

    from pyral.protocol import BATCH_MAX_ENTRIES, batch_chunks

    assert [len(r) for r in batch_chunks(1000)] == [1000]
    assert [len(r) for r in batch_chunks(2500)] == [834, 833, 833]
    assert batch_chunks(0) == [] and [len(r) for r in batch_chunks(1001)] == [501, 500]
    together = threading.Barrier(3, timeout=60)  # three batches must be on the wire at once

    armed = threading.Event()

    def meet(request: httpx.Request, _seq: int) -> None:
        if armed.is_set() and request.url.path.endswith("/batch"):
            together.wait()

    rally, sent = connect(transport=CountingTransport(fault=meet))
    rally.typedef("Story")  # the schema (read once per instance) is not part of what is counted
    before = len(sent.sent)
    made = rally.createMultiple("Story", [{"Name": f"c{i}"} for i in range(1000)])
    assert len(made) == 1000 and sent.lines()[before:] == ["POST batch"]  # one batch, no extra request
    before = len(sent.sent)
    count = 2 * BATCH_MAX_ENTRIES + 1
    armed.set()
    made = rally.createMultiple("Story", [{"Name": f"d{i}"} for i in range(count)])
    armed.clear()
    assert [m["Name"] for m in made] == [f"d{i}" for i in range(count)]  # results in item order
    assert sent.lines()[before:] == ["POST batch"] * 3 and sent.max_in_flight == 3
    before = len(sent.sent)
    updated = rally.updateMultiple("Story", [{"ObjectID": m["ObjectID"], "Notes": "u"} for m in made])
    assert len(updated) == count and not updated.failures
    assert sent.lines()[before:] == ["POST batch"] * 3


def test_batch_reads_only_its_type_schema_once_per_instance(connect_both: Any) -> None:
    """A batch needs one type's attributes, not the megabytes of the whole workspace schema."""
    rally, sent = connect_both()
    before = len(sent.sent)
    items: list[dict[str, Any]] = [{"name": f"s{i}", "notes": "lower-case names"} for i in range(5)]
    items.append({"Name": "bad", "Fabulote": 1})
    made = rally.createMultiple("Story", items)
    assert [m["Name"] for m in made] == [f"s{i}" for i in range(5)]
    assert made.failures[0][0] == 5 and made.failures[0][2] == ["unknown attribute Fabulote"]
    paths = [r.url.path.rsplit("/v2.0/", 1)[-1] for r in sent.sent[before:]]
    assert not any("/slm/schema/" in r.url.path for r in sent.sent[before:])
    assert paths[0].lower() == "typedefinition" and paths[1].lower().endswith("/attributes")
    assert paths[2:] == ["batch"]
    before = len(sent.sent)
    done = rally.updateMultiple("Story", [{"ObjectID": m["ObjectID"], "Notes": "again"} for m in made])
    assert len(done) == 5 and [r.url.path.rsplit("/", 1)[-1] for r in sent.sent[before:]] == ["batch"]
    story = rally.get("Story", fetch="Notes", query=f'FormattedID = {made[2]["FormattedID"]}', instance=True)
    assert story.Notes == "again"
