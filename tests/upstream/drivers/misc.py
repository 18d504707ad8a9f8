"""Ranking, attachments, the recycle bin and batch createMultiple/updateMultiple."""

from __future__ import annotations

import hashlib
import os
import zlib
from dataclasses import dataclass

from _common import Checks, connect, names, setup

cfg = setup()
data = cfg["data"]
check = Checks()
rally = connect(cfg)


def ranked():
    items = list(rally.get("Story", fetch="Name,DragAndDropRank", order="Rank ASC", project="Rankers", limit=100))
    return [s.Name for s in items], [s.DragAndDropRank for s in items]


check.run("initial_rank_order", lambda: ranked()[0])


@check
def ranking():
    by_name = {s.Name: s for s in rally.get("Story", fetch="Name", project="Rankers")}
    steps = []
    for op, *args in data["rank_ops"]:
        if op == "above":
            resp = rally.rankAbove(by_name[args[0]], by_name[args[1]])
        elif op == "below":
            resp = rally.rankBelow(by_name[args[0]], by_name[args[1]])
        elif op == "top":
            resp = rally.rankToTop(by_name[args[0]])
        else:
            resp = rally.rankToBottom(by_name[args[0]])
        order, ranks = ranked()
        steps.append({"status": resp.status_code, "order": order, "lexical": ranks == sorted(ranks)})
    return {"initial": data["rank_initial"], "steps": steps}


def shell_story():
    """A fetch=False query: upstream hydrates the story and its collections lazily ("shell" hydration)."""
    return rally.get("Story", fetch=False, query=f"FormattedID = {data['attach_story']}", instance=True)


def png_like(size):
    """Binary content with a PNG signature and every byte value."""
    body = bytes(range(256)) * (size // 256)
    return b"\x89PNG\r\n\x1a\n" + zlib.compress(body, 0)[:size]


@check
def attachments():
    story = shell_story()
    image = os.path.abspath("glacier.png")
    payload = png_like(300_000)
    with open(image, "wb") as fh:
        fh.write(payload)
    with open("notes.txt", "w") as fh:
        fh.write("line one\nline two\n")
    att = rally.addAttachment(story, image, mime_type="image/png")
    out = {"name": att.Name, "size": att.Size, "content_type": att.ContentType,
           "sha_sent": hashlib.sha256(payload).hexdigest(), "len_sent": len(payload)}
    # fresh instances: upstream caches story.Attachments on the instance it was first read from
    rally.addAttachment(shell_story(), "notes.txt")
    again = rally.addAttachment(shell_story(), "notes.txt")  # already attached: returned, not duplicated
    out["again_name"] = again.Name
    fresh = shell_story()
    out["names"] = rally.getAttachmentNames(fresh)
    got = rally.getAttachment(fresh, "glacier.png")
    out["sha_got"] = hashlib.sha256(got.Content).hexdigest()
    out["len_got"] = len(got.Content)
    out["got_type"] = [type(got.Content).__name__, got.ContentType, got.Name]
    out["text"] = rally.getAttachment(shell_story(), "notes.txt").Content.decode()
    # a fresh instance: getAttachment swaps att.Content for bytes inside the cached collection
    out["all"] = sorted(a.Name for a in rally.getAttachments(shell_story()))
    rally.deleteAttachment(shell_story(), "notes.txt")
    out["after_delete"] = names(shell_story().Attachments)
    return out


@check
def attachment_after_fetch_list_query():
    """Upstream test_get_image_binary_attachment: a fetch-list query, then the Attachments collection."""
    story = rally.get("UserStory", fetch="ObjectID,Name,Description,Attachments",
                      query=f'FormattedID = "{data["attach_story"]}"').next()
    from_collection = story.Attachments[0]
    specific = rally.getAttachment(story, "glacier.png")
    return {"names": [from_collection.Name, specific.Name], "same_content": from_collection.Content == specific.Content,
            "sha": hashlib.sha256(specific.Content).hexdigest()}


@check
def recycle_bin():
    name = "Gone but not forgotten with the wind"
    defect = rally.create("Defect", {"Name": name})
    deleted = rally.delete("Defect", defect.FormattedID)
    entries = list(rally.get("RecycleBinEntry", fetch="ObjectID,ID,Name", query=f'Name = "{name}"', limit=100))
    out = {"deleted": deleted, "entries": [(e.Name, e.ID) for e in entries], "fid": defect.FormattedID,
           "class": sorted({type(e).__name__ for e in entries})}
    try:
        rally.create("RecycleBinEntry", {"Name": "nope"})
    except Exception as exc:  # noqa: BLE001
        out["create_refused"] = str(exc)
    return out


@dataclass
class Story:
    oid: int
    Name: str
    Description: str


@check
def create_multiple():
    dicts = rally.createMultiple("Story", [{"Name": "Multi A", "Description": "first"},
                                           {"Name": "Multi B", "Description": "second"}])
    instances = rally.createMultiple("Story", [Story(0, "Multi C", "third"), Story(0, "Multi D", "fourth")])
    return {"dicts": [(r["Name"], r["FormattedID"][:2], r["ObjectID"].isdigit(), r["_ref"].split("/")[-2])
                      for r in dicts],
            "instances": [(r["Name"], r["FormattedID"][:2]) for r in instances]}


@check
def update_multiple():
    stories = list(rally.get("Story", fetch="ObjectID,Name", query='Name contains "Multi"', order="Name"))
    items = [{"ObjectID": s.oid, "Notes": f"bulk note {s.Name}", "PlanEstimate": 3} for s in stories]
    result = rally.updateMultiple("Story", items)
    after = list(rally.get("Story", fetch="Name,Notes,PlanEstimate", query='Name contains "Multi"', order="Name"))
    return {"count": len(result), "after": [(s.Name, s.Notes, s.PlanEstimate) for s in after]}


check.emit()
