"""Drive the PyPI Rally client ``rally-cli`` 2.0.4 (package ``rallycli``), unmodified, through its
whole public API against a server.

Usage: ``python driver.py`` in the venv that has rally-cli (``.venv-rallycli``), configured by the
environment: ``RALLY_BASEURL`` (``https://host:port/``), ``RALLY_API_KEY`` and ``RALLY_USERNAME`` +
``RALLY_PASSWORD`` (the key-based steps run first, then the user/password ones), ``DRIVER_TAG``
(names of what it creates start with it).  TLS is verified as a real user would have it:
``REQUESTS_CA_BUNDLE`` (requests) and ``SSL_CERT_FILE`` (aiohttp) name the server's CA.

Prints one JSON object per line, ``{"step", "ok", "value"|"error"}``; every step runs even when an
earlier one failed (a step whose input is missing fails by name).  Only rallycli's public API is
called; the values printed are what a user of it would see.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

# The step lines get their own copy of stdout; whatever else writes to fd 1 (rallycli's aiologger
# prints "Wainting (gather) for N" there, tqdm its bars) goes to stderr instead.
OUT = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
sys.stdout = sys.stderr

from rallycli import RallyAPI  # noqa: E402
from rallycli.errors import RallyError  # noqa: E402
from rallycli.models import US, Attdefinition, Feature, type_names  # noqa: E402
from rallycli.models.artifact_models import Defect, TestCase, TestCaseResult, TestSet  # noqa: E402
from rallycli.models.models import AllowedValue, Milestone, User  # noqa: E402
from rallycli.utils.orig_utils import get_relative_ref  # noqa: E402

logging.disable(logging.CRITICAL)  # rallycli logs every error it raises; the steps report them
TAG = os.environ.get("DRIVER_TAG", "rallycli")
BASEURL = os.environ["RALLY_BASEURL"]
state: dict[str, Any] = {}


def emit(step: str, ok: bool, payload: Any) -> None:
    line = {"step": step, "ok": ok, ("value" if ok else "error"): payload}
    OUT.write(json.dumps(line, default=str) + "\n")
    OUT.flush()


def error_text(err: BaseException) -> str:
    """What the exception says: RallyError's lines (Rally's own error texts among them), an HTTP
    error's status, or the message."""
    if isinstance(err, RallyError):
        return str(err).removeprefix("RallyError: ")
    status = getattr(getattr(err, "response", None), "status_code", None)
    return str(status if status is not None else err)


def step(name: str, fn: Callable[[], Any]) -> Any:
    try:
        value = fn()
    except Exception as err:  # every failure is reported by name; the run goes on
        emit(name, False, {"type": type(err).__name__, "text": error_text(err),
                           "where": traceback.format_exc(limit=-3)[-1500:]})
        return None
    emit(name, True, value)
    return value


def rel(ref: Any) -> str:
    return get_relative_ref(str(ref))


def name_of(obj: Any) -> Any:
    """The name of a referenced object: a rallycli model, or the plain dict an undeclared field holds."""
    if isinstance(obj, dict):
        return obj.get("_refObjectName")
    return getattr(obj, "Name", None) or getattr(obj, "refObjectName", None)


def key_based() -> None:
    api = RallyAPI(key_based_auth=True, external_key=os.environ["RALLY_API_KEY"], baseurl=BASEURL)
    workspaces = step("workspace.query", lambda: [(w.Name, rel(w.ref)) for w in api.query("", "workspace")])
    ws = workspaces[0][1] if workspaces else None
    api = RallyAPI(key_based_auth=True, external_key=os.environ["RALLY_API_KEY"], baseurl=BASEURL, workspace=ws)
    users, projects, arts, times = api.user_api, api.project_api, api.artifact_api, api.timebox_api

    me = api.user_api.get_this_user()
    step("user.this", lambda: {"class": type(me).__name__, "UserName": me.UserName, "ref": rel(me.ref),
                               "type": me.type})
    step("user.by_username", lambda: [rel(users.get_user_by_username(me.UserName).ref),
                                      users.get_user_by_username(f"{TAG}-nobody@example.com")])

    def project_by_name() -> dict[str, Any]:
        parent = projects.get_project_by_name(f"{TAG} root")
        child = projects.get_project_by_name(f"{TAG} team", parent_name=f"{TAG} root")
        state["root"], state["team"] = parent.ref, child.ref
        return {"root": [type(parent).__name__, parent.Name], "team": child.Name,
                "team.parent": child.Parent["_refObjectName"]}
    step("project.by_name", project_by_name)
    step("project.by_ref", lambda: projects.get_project_by_ref(state["team"]).Name)

    # rallycli's tree reads Parent.ref off its Project model, which keeps Parent as a plain dict.
    step("project.tree", lambda: projects.get_project_tree(root_project_ref=state["root"]).size())
    step("project.members", lambda: sorted(u.UserName for u in projects.get_project_members(state["team"])))

    # -- timeboxes -----------------------------------------------------------------------------
    team = state.get("team", "")
    team_rel = rel(team)
    step("release.for_project", lambda: sorted(r.Name for r in times.get_releases_for_project(team_rel)))
    step("iteration.active", lambda: sorted((i.Name, i.State, type(i).__name__)
                                            for i in times.get_active_iterations_for_project(team_rel)))
    step("iteration.last_ended", lambda: name_of(times.get_last_ended_iteration_for_project(team_rel)))

    def milestone_create() -> dict[str, Any]:
        ms = Milestone(Name=f"{TAG}-launch", TargetDate=datetime(2026, 3, 1, tzinfo=UTC),
                       TargetProject=team, Notes="made by rally-cli")
        made = times.create_milestone(ms)
        state["milestone"] = made
        return {"class": type(made).__name__, "Name": made.Name, "FormattedID": made.FormattedID,
                "TargetDate": made.TargetDate, "TargetProject": name_of(made.TargetProject)}
    step("milestone.create", milestone_create)

    def milestone_reads() -> dict[str, Any]:
        made = state["milestone"]
        return {"by_ref": times.get_milestone_by_ref(rel(made.ref)).Name,
                "by_formattedid": times.get_milestone_by_formattedid(made.FormattedID).Name,
                "by_name": name_of(times.get_milestone_by_name(f"{TAG}-launch", team_rel)),
                "unknown_formattedid": times.get_milestone_by_formattedid("MI999999")}
    step("milestone.read", milestone_reads)
    def milestones_for_project() -> dict[str, Any]:
        before = [m.Name for m in times.get_milestones_for_project(team_rel)]
        arts.add_refs_to_artifact_attribute_collection(state["milestone"], [team], "Projects")
        return {"before": before, "after": [m.Name for m in times.get_milestones_for_project(team_rel)]}
    step("milestone.for_project", milestones_for_project)
    step("milestone.last_ended", lambda: name_of(times.get_last_ended_milestone_for_project(team_rel)))

    # -- artifacts -----------------------------------------------------------------------------
    def story_create() -> dict[str, Any]:
        iterations = times.get_active_iterations_for_project(team_rel)
        us = US(Name=f"{TAG} story", Project=team, Description=f"by {me.EmailAddress}", Owner=me,
                Iteration=iterations[0].ref, PlanEstimate=3)
        made = arts.create_artifact(us, type_names.US)
        state["story"] = made
        return {"class": type(made).__name__, "Name": made.Name, "FormattedID": made.FormattedID[:2],
                "Owner": name_of(made.Owner), "Iteration": name_of(made.Iteration),
                "ScheduleState": made.ScheduleState, "PlanEstimate": made.PlanEstimate}
    step("artifact.create.story", story_create)

    def more_creates() -> dict[str, Any]:
        stories = [arts.create_artifact(US(Name=f"{TAG} story {i}", Project=team), type_names.US) for i in range(2)]
        feature = arts.create_artifact(Feature(Name=f"{TAG} feature", Project=team), type_names.FEATURE)
        defect = arts.create_artifact(Defect(Name=f"{TAG} defect", Project=team, Severity="Major Problem",
                                             Requirement=state["story"].ref), type_names.DEFECT)
        state.update(stories=stories, feature=feature, defect=defect)
        return {"stories": [s.Name for s in stories], "feature": [type(feature).__name__, feature.FormattedID[:1]],
                "defect": [defect.Severity, defect.State, name_of(defect.Requirement)]}
    step("artifact.create.more", more_creates)

    def by_formattedid() -> dict[str, Any]:
        out = {}
        for key in ("story", "defect"):
            got = arts.get_artifact_by_formattedid(state[key].FormattedID)
            out[key] = [type(got).__name__, got.Name]
        out["unknown"] = arts.get_artifact_by_formattedid("US999999")
        return out
    step("artifact.by_formattedid", by_formattedid)
    # rallycli maps the prefix "FE" to features; Rally's default Feature prefix is "F".
    step("artifact.by_formattedid.feature", lambda: arts.get_artifact_by_formattedid(state["feature"].FormattedID))

    def update_keys() -> dict[str, Any]:
        story = state["story"]
        story.Name = f"{TAG} story renamed"
        story.Blocked = True
        updated = arts.update_artifact(story, type_names.US, body_keys=["Name", "Blocked"])
        return {"Name": updated.Name, "Blocked": updated.Blocked, "version": int(updated.objectVersion) > 1}
    step("artifact.update.keys", update_keys)

    def update_whole() -> dict[str, Any]:
        # A read-modify-write of everything the read gave back (rallycli's update with no body_keys).
        story = arts.get_artifact_by_formattedid(state["story"].FormattedID)
        story.Notes = "round trip"
        return arts.update_artifact(story, type_names.US).Notes
    step("artifact.update.whole", update_whole)
    step("artifact.update.whole.after", lambda: arts.get_artifact_by_formattedid(state["story"].FormattedID).Notes)

    def update_list() -> list[Any]:
        stories = state["stories"]
        for s in stories:
            s.Notes = f"async {s.Name}"
        done = arts.update_artifact_list(stories, type_names.US, body_keys=["Notes"])
        return sorted((type(s).__name__, s.Notes) for s in done)
    step("artifact.update.list", update_list)

    def schedulestate() -> list[Any]:
        stories = state["stories"]
        arts.set_artifacts_schedulestate(stories, "In-Progress", type_names.US)
        return [arts.get_artifact_by_formattedid(s.FormattedID).ScheduleState for s in stories]
    step("artifact.schedulestate", schedulestate)

    def pi_state() -> Any:
        states = sorted(s.Name for s in arts.get_typedef_states("Feature"))
        arts.set_portfolioitems_state_by_name([state["feature"]], "Developing", "Feature")
        now = arts.get_element_by_ref(state["feature"].ref, model_class=Feature)
        return {"states": states, "now": name_of(now.State)}
    step("artifact.portfolio_state", pi_state)
    step("artifact.flowstates", lambda: [f.Name for f in arts.get_flowstates_for_project(team_rel)])

    def tags() -> dict[str, Any]:
        tag_objs = api.query(f'(Name = "{TAG}-tag")', "tag")
        story = state["story"]
        arts.add_tags_to_artifact(story, tag_objs)
        added = [t.Name for t in arts.get_elements_by_ref(f"{story.ref}/Tags")]
        arts.remove_tags_from_artifact(story, tag_objs)
        left = arts.get_elements_by_ref(f"{story.ref}/Tags")
        return {"added": added, "left": len(left)}
    step("artifact.tags", tags)

    def collections() -> dict[str, Any]:
        story, ms = state["story"], state["milestone"]
        arts.add_refs_to_artifact_attribute_collection(story, [ms.ref], "Milestones")
        added = [m.Name for m in arts.get_elements_by_ref(f"{story.ref}/Milestones")]
        arts.delete_refs_from_artifact_attribute_collection(story, [ms.ref], "Milestones")
        return {"added": added, "left": len(arts.get_elements_by_ref(f"{story.ref}/Milestones"))}
    step("artifact.collection", collections)

    def feature_stories() -> list[str]:
        feature = state["feature"]
        arts.add_userstories_to_feature(feature, state["stories"])
        return sorted(s.Name for s in arts.get_elements_by_ref(f"{feature.ref}/UserStories"))
    step("artifact.feature_stories", feature_stories)

    def milestone_artifacts() -> dict[str, Any]:
        ms = state["milestone"]
        refs = [s.ref for s in state["stories"]]
        times.add_userstories_to_milestone(ms, refs)
        added = sorted(a.Name for a in arts.get_elements_by_ref(f"{ms.ref}/Artifacts"))
        times.remove_userstories_from_milestone(ms, refs[:1])
        return {"added": added, "left": [a.Name for a in arts.get_elements_by_ref(f"{ms.ref}/Artifacts")]}
    step("milestone.artifacts", milestone_artifacts)

    # -- quality -------------------------------------------------------------------------------
    quality = api.quality_api

    def quality_steps() -> dict[str, Any]:
        ts = quality.create_testset(TestSet(Name=f"{TAG} set", Project=team))
        tc = quality.create_testcase(TestCase(Name=f"{TAG} case", Project=team, Method="Manual",
                                              Type="Functional", WorkProduct=state["story"].ref))
        quality.add_testcases_to_testset(ts, [tc])
        in_set = [c.Name for c in quality.get_elements_by_ref(f"{ts.ref}/TestCases")]
        tcr = quality.create_testcaseresult(TestCaseResult(TestCase=tc.ref, TestSet=ts.ref, Build="b-1",
                                                           Verdict="Fail", Date=datetime(2026, 1, 5, tzinfo=UTC)))
        tcr.Verdict = "Pass"
        fixed = quality.update_tcr(tcr, body_keys=["Verdict"])
        got_ts = quality.get_testset_by_ref(rel(ts.ref))
        times.add_testsets_to_milestone(state["milestone"], [ts.ref])
        on_ms = [a.Name for a in arts.get_elements_by_ref(f"{state['milestone'].ref}/Artifacts")]
        times.remove_testsets_from_milestone(state["milestone"], [ts.ref])
        quality.remove_testcases_from_testset(ts, [tc])
        case = quality.get_artifact_by_formattedid(tc.FormattedID)
        state.update(testset=ts, testcase=tc)
        return {"testset": [type(ts).__name__, ts.FormattedID[:2]], "testcase": [tc.Method, tc.Type],
                "in_set": in_set, "tcr": [type(tcr).__name__, fixed.Verdict, name_of(fixed.TestCase)],
                "get_testset": [type(got_ts).__name__, got_ts.Name], "milestone_has_set": f"{TAG} set" in on_ms,
                "left_in_set": len(quality.get_elements_by_ref(f"{ts.ref}/TestCases")),
                "case": [case.Name, case.LastVerdict]}
    step("quality", quality_steps)

    # -- SCM and builds ------------------------------------------------------------------------
    scm = api.scm_api

    def scm_steps() -> dict[str, Any]:
        repo = scm.create_scmrepo(f"{TAG}-repo", "git", "https://git.example.com/repo", project_ref=team)
        found = scm.get_scmrepo_by_name(f"{TAG}-repo")
        cs = scm.create_changeset(repo.ref, me.ref, "main", datetime(2026, 1, 6, 12, 0, tzinfo=UTC),
                                  "abc123", "https://git.example.com/repo/commit/abc123")
        arts.add_changesets_to_artifact(state["story"], [cs])
        on_story = [c.Revision for c in arts.get_elements_by_ref(f"{state['story'].ref}/Changesets")]
        pr = scm.create_pullrequest(team, state["story"].ref, "PR-1", "1", f"{TAG} pr", "a change",
                                    "https://git.example.com/repo/pull/1")
        prs = [p.Name for p in scm.get_pullrequests_for_project(team_rel)]
        bdef = scm.create_build_definition(team, f"{TAG}-build", "the build", "https://ci.example.com/job")
        found_def = scm.get_build_definition_by_name(f"{TAG}-build")
        build = scm.create_build(bdef.ref, "1.0.1", scm.BUILD_SUCCESS, 12.5, "https://ci.example.com/job/1",
                                 change_sets=[cs])
        return {"repo": [repo.Name, getattr(repo, "SCMType", None), found.Name if found else None,
                         [p.Name for p in arts.get_elements_by_ref(f"{repo.ref}/Projects")]],
                "changeset": [cs.Revision, cs.Branch, cs.CommitTimestamp, on_story],
                "pullrequest": [pr.Name, pr.ExternalFormattedId, name_of(pr.Artifact), prs],
                "builddefinition": [bdef.Name, found_def.Name if found_def else None],
                "build": [build.Number, build.Status, build.Duration,
                          [c.Revision for c in arts.get_elements_by_ref(f"{build.ref}/Changesets")]],
                "missing_repo": scm.get_scmrepo_by_name(f"{TAG}-norepo")}
    step("scm", scm_steps)

    # -- attribute definitions and allowed values -----------------------------------------------
    attdefs = api.attdefinition_api

    def attributes() -> dict[str, Any]:
        typedef = api.query('(ElementName = "Defect")', "typedefinition")[0]
        severity = attdefs.get_attribute_by_name(typedef.ref, "Severity")
        values = [v.StringValue for v in attdefs.get_allowed_values_from_att(severity)]
        made = attdefs.create_attribute(Attdefinition(Name=f"{TAG}Kind", AttributeType="STRING",
                                                      TypeDefinition=typedef.ref))
        attdefs.add_new_attribute_allowed_values(made, [AllowedValue(StringValue=v) for v in ("Alpha", "Beta")])
        made = attdefs.get_attribute_by_name(typedef.ref, f"{TAG}Kind")
        allowed = attdefs.get_allowed_values_from_att(made)
        beta = next(v for v in allowed if v.StringValue == "Beta")
        beta.StringValue = "Gamma"
        renamed = attdefs.update_allowed_value(beta, ["StringValue"])
        attdefs.delete_attribute_allowed_values([v for v in allowed if v.StringValue == "Alpha"])
        made.Name, made.Hidden = f"{TAG}Sort", True  # Hidden is read-only in WSAPI: ignored, with a warning
        changed = attdefs.update_attribute(made, ["Name", "Hidden"])
        scoped = attdefs.set_attribute_project_visibility(team, typedef.ref, made.ref, False)
        state.update(typedef=typedef, severity=severity)
        return {"severity": [severity.Name, severity.AttributeType, severity.Custom, values],
                "custom": [made.ElementName, made.Custom, made.AttributeType],
                "renamed": [type(renamed).__name__, renamed.StringValue],
                "after": sorted(v.StringValue for v in attdefs.get_allowed_values_from_att(made)),
                "changed": [changed.Name, changed.ElementName, changed.Hidden], "scoped": [scoped.Hidden, scoped.Name],
                "missing": attdefs.get_attribute_by_name(typedef.ref, "NoSuchAttribute")}
    step("attributes", attributes)
    # Built-in attributes have negative OIDs; rallycli's ref-to-OID pattern takes digits only.
    step("attributes.scoped.builtin", lambda: attdefs.set_attribute_project_visibility(
        team, state["typedef"].ref, state["severity"].ref, True).Hidden)

    # -- users ---------------------------------------------------------------------------------
    def user_steps() -> dict[str, Any]:
        made = users.create_user(User(UserName=f"{TAG}-dev@example.com", EmailAddress=f"{TAG}-dev@example.com",
                                      FirstName="Dev", LastName="One"))
        made.Department = "Quality"
        updated = users.update_user(made, ["Department"])
        updated.Phone = "555-0100"
        listed = users.update_user_list([updated], ["Phone"])
        users.add_user_to_project_membership(made.ref, team)
        perm = users.add_user_permission_for_project(made.ref, team, "Editor")
        members = sorted(u.UserName for u in projects.get_project_members(team))
        return {"created": [type(made).__name__, made.UserName, made.Disabled], "department": updated.Department,
                "phone": [type(listed[0]).__name__, listed[0].Phone], "permission": [perm.Role, name_of(perm.Project)],
                "members": members}
    step("users", user_steps)

    # -- generic query: paging, threads, order, limit ------------------------------------------
    def queries() -> dict[str, Any]:
        q = f'(Name contains "{TAG} page")'
        one = api.query(q, "defect", fetch="Name", pagesize=2, order_by="Name")
        many = api.query(q, "defect", fetch="Name", pagesize=2, order_by="Name", threads=3)
        limited = api.query(q, "defect", fetch="Name", pagesize=2, order_by="Name desc", limit=3)
        scoped = api.query(q, "defect", fetch="Name", project=state["root"], projectScopeDown="false")
        return {"one": [d.Name for d in one], "threads": [d.Name for d in many],
                "limit": [d.Name for d in limited], "scoped_up_only": len(scoped)}
    step("query.paging", queries)

    # -- bad input -----------------------------------------------------------------------------
    step("bad.query", lambda: api.query("(Name = ", "defect"))
    step("bad.query.attribute", lambda: api.query("(NoSuchField = 1)", "defect"))
    step("bad.type", lambda: api.query("", "nosuchtype"))
    step("bad.ref", lambda: api.get_element_by_ref(f"{BASEURL}slm/webservice/v2.0/defect/999999999"))

    def bad_update() -> Any:
        defect = state["defect"]
        defect.Severity = "Not a severity"
        return arts.update_artifact(defect, type_names.DEFECT, body_keys=["Severity"]).Severity
    step("bad.update.value", bad_update)
    step("bad.update.after", lambda: arts.get_artifact_by_formattedid(state["defect"].FormattedID).Severity)
    step("bad.create.missing_name", lambda: arts.create_artifact(US(Project=team), type_names.US).Name)
    step("bad.create.unknown_project", lambda: arts.create_artifact(
        US(Name=f"{TAG} orphan", Project="/project/999999999"), type_names.US).Name)
    step("bad.create.not_a_number", lambda: arts.create_artifact(
        US(Name=f"{TAG} orphan", Project=team, PlanEstimate="lots"), type_names.US).Name)
    step("bad.create.after", lambda: len(api.query(f'(Name = "{TAG} orphan")', "hierarchicalrequirement")))
    step("bad.collection.unknown_ref", lambda: arts.add_refs_to_artifact_attribute_collection(
        state["story"], ["/tag/999999999"], "Tags"))
    step("bad.collection.after", lambda: len(arts.get_elements_by_ref(f"{state['story'].ref}/Tags")))
    step("bad.collection.unknown_name", lambda: arts.add_refs_to_artifact_attribute_collection(
        state["story"], [state["milestone"].ref], "NoSuchCollection"))

    # rallycli's delete_artifact calls a model method that does not exist (clean_for_update).
    step("artifact.delete", lambda: arts.delete_artifact(state["defect"]))
    step("artifact.delete.after", lambda: len(api.query(f'(FormattedID = {state["defect"].FormattedID})', "defect")))

    def allowed_value_delete_twice() -> Any:
        made = attdefs.get_attribute_by_name(state["typedef"].ref, f"{TAG}Sort")
        value = attdefs.get_allowed_values_from_att(made)[0]
        attdefs.delete_attribute_allowed_values([value])
        return attdefs.delete_attribute_allowed_values([value])
    step("bad.delete.again", allowed_value_delete_twice)

    intruder = RallyAPI(key_based_auth=True, external_key="_not-a-real-key", baseurl=BASEURL, workspace=ws)
    step("bad.key.read", lambda: intruder.user_api.get_this_user().UserName)
    step("bad.key.create", lambda: intruder.artifact_api.create_artifact(
        US(Name=f"{TAG} intruder", Project=team), type_names.US).Name)


def user_password() -> None:
    api = RallyAPI(key_based_auth=False, username=os.environ["RALLY_USERNAME"],
                   password=os.environ["RALLY_PASSWORD"], baseurl=BASEURL)
    ws = rel(api.query("", "workspace")[0].ref)
    api = RallyAPI(key_based_auth=False, username=os.environ["RALLY_USERNAME"],
                   password=os.environ["RALLY_PASSWORD"], baseurl=BASEURL, workspace=ws)
    arts = api.artifact_api
    step("basic.user.this", lambda: api.user_api.get_this_user().UserName)
    team = rel(api.project_api.get_project_by_name(f"{TAG} team").ref)

    def writes() -> dict[str, Any]:
        made = arts.create_artifact(Defect(Name=f"{TAG} basic defect", Project=team), type_names.DEFECT)
        made.Priority = "High Attention"
        updated = arts.update_artifact(made, type_names.DEFECT, body_keys=["Priority"])
        return {"created": made.Name, "priority": updated.Priority,
                "found": [d.Priority for d in api.query(f'(FormattedID = {made.FormattedID})', "defect")]}
    step("basic.writes", writes)

    def async_update() -> list[Any]:
        made = arts.create_artifact(Defect(Name=f"{TAG} basic async", Project=team), type_names.DEFECT)
        state["basic_async"] = made
        made.Notes = "async"
        return [d.Notes for d in arts.update_artifact_list([made], type_names.DEFECT, body_keys=["Notes"])]
    # rallycli hands aiohttp its session headers, whose ZSESSIONID is None in user/password mode.
    step("basic.update.list", async_update)
    step("basic.update.list.after", lambda: arts.get_element_by_ref(state["basic_async"].ref).Notes)


if __name__ == "__main__":
    if os.environ.get("RALLY_API_KEY"):
        step("keyed", key_based)
    if os.environ.get("RALLY_USERNAME"):
        step("basic", user_password)
