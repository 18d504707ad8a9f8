"""``compact=true`` and ``includePermissions=true`` (wsapi-more.md §3).

Sources: COMPACT (a real 2023 ``compact=true&includePermissions=true`` story query kept by a
release-notes app) and RUSTC (a real compact TimeEntryValue row): no ``_rallyAPIMajor/Minor``,
no ``_objectVersion``, relative ``_ref``s (collections keep their type casing), nested objects
already emitted earlier reduced to ``{"_ref"}``, collections ``{_ref, _type, Count}``, no
``_refObjectName`` on rows without a Name; ``_p`` digits "7" (caller may edit), "2" (the
caller's own User), "0" (read-only).  Plain requests keep the full form (every toolkit capture).
"""

from __future__ import annotations

import httpx
from wsapi_client import API, Wsapi, short


def _walk(value: object) -> list[dict]:
    out: list[dict] = []
    if isinstance(value, dict):
        out.append(value)
        for v in value.values():
            out.extend(_walk(v))
    elif isinstance(value, list):
        for v in value:
            out.extend(_walk(v))
    return out


def test_compact_query_shape(wsapi: Wsapi) -> None:
    me = wsapi.read("user", fetch="ObjectID")
    for name in ("a", "b"):
        story = wsapi.create("hierarchicalrequirement", {"Name": name, "Owner": me["_ref"]})
    wsapi.create("task", {"Name": "t", "WorkProduct": story["_ref"]})
    body = wsapi.get("hierarchicalrequirement", fetch="Name,Owner,Tasks,Project", compact="true", order="Name")
    qr = body["QueryResult"]
    assert qr["Errors"] == [] and qr["TotalResultCount"] == 2
    assert not any(k in d for d in _walk(body) for k in ("_rallyAPIMajor", "_rallyAPIMinor", "_objectVersion"))
    first, second = qr["Results"]
    assert first["_ref"].startswith("/hierarchicalrequirement/") and first["_type"] == "HierarchicalRequirement"
    assert first["Owner"]["_ref"] == f"/user/{me['ObjectID']}" and first["Owner"]["_type"] == "User"
    assert "_refObjectName" in first["Owner"]
    # the same user (and project) again later in the response: just the ref
    assert second["Owner"] == {"_ref": f"/user/{me['ObjectID']}"}
    assert second["Project"] == {"_ref": first["Project"]["_ref"]}
    assert set(second["Tasks"]) == {"_ref", "_type", "Count"} and second["Tasks"]["Count"] == 1
    assert second["Tasks"]["_ref"] == f"/HierarchicalRequirement/{second['_ref'].rsplit('/', 1)[1]}/Tasks"
    # without compact: the full form, as before
    full = wsapi.rows("hierarchicalrequirement", fetch="Name,Owner", order="Name")
    assert full[1]["Owner"]["_ref"].startswith("http") and full[1]["Owner"]["_rallyAPIMajor"] == "2"
    assert "_objectVersion" in full[0]


def test_compact_rows_without_name_have_no_ref_object_name(wsapi: Wsapi) -> None:
    story = wsapi.create("hierarchicalrequirement", {"Name": "s"})
    wsapi.create("testcase", {"Name": "tc", "WorkProduct": story["_ref"]})
    tc = wsapi.rows("testcase", fetch="ObjectID")[0]
    wsapi.create("testcaseresult", {"TestCase": tc["_ref"], "Build": "1", "Verdict": "Pass",
                                    "Date": "2024-01-01T00:00:00.000Z"})
    row = wsapi.rows("testcaseresult", fetch="Verdict", compact="true")[0]
    assert "_refObjectName" not in row and row["Verdict"] == "Pass" and row["_ref"].startswith("/testcaseresult/")
    read = wsapi.get(story["_ref"], compact="true", fetch="Name")["HierarchicalRequirement"]
    assert read["_ref"] == short(story["_ref"]) and "_rallyAPIMajor" not in read


def test_include_permissions_digits(wsapi: Wsapi) -> None:
    admin = wsapi.read("user", fetch="ObjectID")
    project = wsapi.default_project()
    story = wsapi.create("hierarchicalrequirement", {"Name": "s", "Owner": admin["_ref"]})
    viewer = wsapi.create("user", {"UserName": "viewer@example.com", "EmailAddress": "viewer@example.com"})
    wsapi.create("projectpermission", {"User": viewer["_ref"], "Project": project["_ref"], "Role": "Viewer"})
    key = "_key_viewer_00000000000000000000"
    assert wsapi.request("PUT", "/emulator/users/viewer@example.com/credentials", json={"api_key": key}).status_code == 200
    # the admin may edit everything; their own User is "2"
    row = wsapi.rows("hierarchicalrequirement", fetch="Name,Owner,Project", includePermissions="true",
                     compact="true")[0]
    assert (row["_p"], row["Owner"]["_p"], row["Project"]["_p"]) == ("7", "2", "7")
    # a viewer: read-only everywhere; the admin user is someone else
    with httpx.Client(base_url=wsapi.emu.url, headers={"ZSESSIONID": key}) as as_viewer:
        body = as_viewer.get(f"{API}/hierarchicalrequirement", params={
            "fetch": "Name,Owner", "includePermissions": "true", "project": short(project["_ref"])}).json()
        row = body["QueryResult"]["Results"][0]
        assert (row["_p"], row["Owner"]["_p"]) == ("0", "0")
        assert row["_rallyAPIMajor"] == "2"  # not compact: the full form, with _p
        mine = as_viewer.get(f"{API}/user/{viewer['ObjectID']}", params={"includePermissions": "true",
                                                                        "fetch": "UserName"}).json()
        assert mine["User"]["_p"] == "2"
    # without the flag: no _p anywhere
    assert not any("_p" in d for d in _walk(wsapi.get(story["_ref"], fetch="Owner")))


def test_bad_flag_values_mean_false(wsapi: Wsapi) -> None:
    wsapi.create("hierarchicalrequirement", {"Name": "s"})
    body = wsapi.get("hierarchicalrequirement", fetch="Name", compact="maybe", includePermissions="")
    row = body["QueryResult"]["Results"][0]
    assert row["_ref"].startswith("http") and "_p" not in row
