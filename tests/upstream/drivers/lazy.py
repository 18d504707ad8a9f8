"""Lazy loading: shells hydrate on first access, collections and nested refs load on demand."""

from __future__ import annotations

from _common import Checks, connect, names, setup

cfg = setup()
data = cfg["data"]
check = Checks()
rally = connect(cfg)
scheme = cfg["protocol"]


def one(entity, fid, fetch=False):
    items = list(rally.get(entity, fetch=fetch, query=f"FormattedID = {fid}"))
    assert len(items) == 1, len(items)
    return items[0]


@check
def shell_hydrates_on_access():
    story = one("Story", data["story"])
    before = story._hydrated
    name = story.Name  # _refObjectName is already there: no load yet
    after_name = story._hydrated
    state = story.ScheduleState
    return {"before": before, "name": name, "after_name": after_name, "state": state,
            "after": story._hydrated, "description": story.Description, "estimate": story.PlanEstimate}


@check
def collection_attribute():
    story = one("Story", data["story"])
    tasks = story.Tasks
    return {"classes": sorted({type(t).__name__ for t in tasks}), "names": sorted(names(tasks)),
            "work_products": sorted({t.WorkProduct.FormattedID for t in tasks}),
            "states": sorted(t.State for t in tasks)}


@check
def nested_references():
    story = one("Story", data["story"])
    return {"project": story.Project.Name, "owner": story.Owner.DisplayName,
            "owner_default_ws": story.Owner.UserProfile.DefaultWorkspace.Name,
            "workspace": story.Workspace.Name, "feature_class": type(story.PortfolioItem).__name__,
            "feature_type_path": story.PortfolioItem.typePath, "feature_fid": story.PortfolioItem.FormattedID,
            "feature_stories": sorted(fid for fid in (s.FormattedID for s in story.PortfolioItem.UserStories))}


@check
def fetched_collection():
    story = one("Story", data["story"], fetch="FormattedID,Name,Tasks")
    return {"hydrated": story._hydrated, "tasks": sorted(names(story.Tasks)),
            "task_class": type(story.Tasks[0]).__name__}


@check
def empty_collection():
    story = one("Story", data["bare_story"], fetch=True)
    return {"tasks": story.Tasks, "defects": story.Defects}


@check
def revision_history():
    defect = one("Defect", data["defect"], fetch=True)
    history = defect.RevisionHistory
    revisions = history.Revisions
    last = revisions[-1]
    return {"history_class": type(history).__name__, "count": len(revisions),
            "numbers": [r.RevisionNumber for r in revisions], "last_number": last.RevisionNumber,
            "last_description": last.Description, "last_hydrated": last._hydrated,
            "descriptions": [r.Description for r in revisions], "info": last.info()}


@check
def get_collection_url():
    url = f"{scheme}://{cfg['server']}/slm/webservice/v2.0/Workspace/{data['ws_oid']}/Projects"
    resp = rally.getCollection(url)
    projects = list(resp)
    return {"response": type(resp).__name__, "classes": sorted({type(p).__name__ for p in projects}),
            "names": sorted(names(projects)), "details": all(len(p.details()) > 20 for p in projects)}


@check
def allowed_values_collection():
    """getCollection on an AllowedValues ref taken from the schema."""
    return sorted(rally.getAllowedValues("Defect", "Severity"))


check.emit()
