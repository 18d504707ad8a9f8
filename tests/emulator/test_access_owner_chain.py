"""The owner-chain permission matrix, written as an attacker would try it.

World: workspace W1 with projects A1 and A2, workspace W2 with project B1.  ``viewer`` is a
Viewer of A1, ``editor`` an Editor of A1, ``peeker`` an Editor of A1 and a Viewer of A2,
``nobody`` has no rights at all.  A2 holds one object of every type that has no Project of its
own (Attachment, AttachmentContent, ConversationPost, TestCaseResult, TestCaseStep, Revision,
RevisionHistory, RecycleBinEntry) plus the artifacts they hang off.  Every attack is a plain
WSAPI request over a socket; every refused write is checked against a store fingerprint, and
every refusal is paired with the same request by someone entitled to it, which succeeds.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from wsapi_client import Wsapi, inner, oid_of

from pyral.emulator import Emulator

ROLES = ("viewer", "editor", "peeker", "nobody")
HIDDEN_TYPES = ("Attachment", "AttachmentContent", "ConversationPost", "TestCaseResult", "TestCaseStep",
                "Revision", "RevisionHistory", "RecycleBinEntry", "HierarchicalRequirement", "Defect", "TestCase")


@dataclass
class World:
    emu: Emulator
    admin: Wsapi
    users: dict[str, Wsapi]
    w1: int
    w2: int
    a1: int
    a2: int
    b1: int
    a2_objects: dict[str, int] = field(default_factory=dict)  # type -> oid, all governed by A2
    a1_objects: dict[str, int] = field(default_factory=dict)
    w2_defect: int = 0

    def ref(self, type_name: str, oid: int) -> str:
        return f"/{type_name.lower()}/{oid}"


def _oid(obj: dict[str, Any]) -> int:
    return int(obj["ObjectID"])


def _b64(text: bytes) -> str:
    return base64.b64encode(text).decode()


def _artifacts(admin: Wsapi, ws: int, project: int, tag: str) -> dict[str, int]:
    """Story, defect, test case, result, step, attachment, post, revisions in one project."""
    scope = {"workspace": f"/workspace/{ws}", "project": f"/project/{project}"}
    out: dict[str, int] = {}
    story = admin.create("hierarchicalrequirement", {"Name": f"{tag} secret story"}, **scope)
    out["HierarchicalRequirement"] = _oid(story)
    defect = admin.create("defect", {"Name": f"{tag} secret defect", "Description": f"{tag} secret text"}, **scope)
    out["Defect"] = _oid(defect)
    admin.update(defect["_ref"], {"Notes": f"{tag} secret notes"})  # a revision with old and new values
    tc = admin.create("testcase", {"Name": f"{tag} secret case"}, **scope)
    out["TestCase"] = _oid(tc)
    out["TestCaseResult"] = _oid(admin.create("testcaseresult", {
        "TestCase": tc["_ref"], "Build": "1", "Date": "2026-01-01T00:00:00.000Z", "Verdict": "Pass"}, **scope))
    out["TestCaseStep"] = _oid(admin.create("testcasestep", {"TestCase": tc["_ref"], "StepIndex": 1, "Input": f"{tag} step"}, **scope))
    content = admin.create("attachmentcontent", {"Content": _b64(f"{tag} secret bytes".encode())}, **scope)
    out["AttachmentContent"] = _oid(content)
    me = admin.read("user")
    out["User"] = _oid(me)
    out["Attachment"] = _oid(admin.create("attachment", {
        "Name": f"{tag}.txt", "Content": content["_ref"], "ContentType": "text/plain", "User": me["_ref"],
        "Artifact": defect["_ref"]}, **scope))
    out["ConversationPost"] = _oid(admin.create("conversationpost", {"Artifact": defect["_ref"],
                                                                      "Text": f"{tag} secret post"}, **scope))
    history = admin.read(defect["_ref"], fetch="RevisionHistory")["RevisionHistory"]["_ref"]
    out["RevisionHistory"] = oid_of(history)
    revisions = admin.rows(f"{admin.path(history)}/Revisions", fetch="ObjectID")
    out["Revision"] = _oid(revisions[0])
    doomed = admin.create("defect", {"Name": f"{tag} deleted defect"}, **scope)
    admin.delete(doomed["_ref"])
    entries = admin.rows("recyclebinentry", query=f'(Name = "{tag} deleted defect")', fetch="ObjectID",
                         workspace=f"/workspace/{ws}")
    out["RecycleBinEntry"] = _oid(entries[0])
    return out


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with Emulator() as emu:
        admin = Wsapi(emu)
        w1 = _oid(admin.default_workspace())
        a1 = _oid(admin.default_project())
        a2 = _oid(admin.create("project", {"Name": "A2", "Workspace": f"/workspace/{w1}"}))
        w2 = _oid(admin.create("workspace", {"Name": "W2"}))
        b1 = _oid(admin.create("project", {"Name": "B1", "Workspace": f"/workspace/{w2}"}))
        grants = {"viewer": {a1: "Viewer"}, "editor": {a1: "Editor"}, "peeker": {a1: "Editor", a2: "Viewer"},
                  "nobody": {}}
        users: dict[str, Wsapi] = {}
        for name, roles in grants.items():
            user = admin.create("user", {"UserName": f"{name}@example.com", "EmailAddress": f"{name}@example.com"})
            key = f"_key_{name}_00000000000000000000"
            answer = admin.request("PUT", f"/emulator/users/{name}@example.com/credentials", json={"api_key": key})
            assert answer.status_code == 200, answer.text
            for project, role in roles.items():
                admin.create("projectpermission", {"User": user["_ref"], "Project": f"/project/{project}", "Role": role})
            users[name] = Wsapi(emu, api_key=key)
        world = World(emu, admin, users, w1, w2, a1, a2, b1)
        world.a2_objects = _artifacts(admin, w1, a2, "A2")
        world.a1_objects = _artifacts(admin, w1, a1, "A1")
        world.w2_defect = _oid(admin.create("defect", {"Name": "W2 secret defect"}, workspace=f"/workspace/{w2}",
                                            project=f"/project/{b1}"))
        yield world
        for client in [admin, *users.values()]:
            client.close()


def _errors(body: dict[str, Any]) -> list[str]:
    return list(inner(body)["Errors"])


def _raw(client: Wsapi, method: str, path: str, **kw: Any) -> dict[str, Any]:
    answer = client.request(method, path, **kw)
    assert answer.status_code == 200, (answer.status_code, answer.text[:300])
    return answer.json()


def _attempt(world: World, client: Wsapi, method: str, path: str, **kw: Any) -> list[str]:
    """Send a write; assert it changed nothing in the store; return its errors."""
    before = world.admin.fingerprint()
    body = _raw(client, method, path, **kw)
    assert world.admin.fingerprint() == before, body
    return _errors(body)


# -- reads ---------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("type_name", HIDDEN_TYPES)
def test_hidden_objects_cannot_be_read_by_ref(world: World, role: str, type_name: str) -> None:
    oid = world.a2_objects[type_name]
    answer = _raw(world.users[role], "GET", world.ref(type_name, oid))
    if role == "peeker":  # a Viewer of A2 reads all of A2's objects, through their owners
        assert _errors(answer) == [] and inner(answer)["ObjectID"] == oid
    else:
        assert _errors(answer) == ["Cannot find object to read"]
        assert "secret" not in str(answer)
    assert _errors(_raw(world.admin, "GET", world.ref(type_name, oid))) == []


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("type_name", [t for t in HIDDEN_TYPES if t not in ("AttachmentContent", "RevisionHistory")])
def test_queries_leave_out_hidden_objects(world: World, role: str, type_name: str) -> None:
    def found(client: Wsapi) -> set[int]:
        rows = client.rows(type_name.lower(), workspace=f"/workspace/{world.w1}", project="null", fetch="ObjectID",
                           pagesize=2000)
        return {_oid(r) for r in rows}

    seen = found(world.users[role])
    everything = found(world.admin)
    assert world.a2_objects[type_name] in everything and world.a1_objects[type_name] in everything
    assert (world.a2_objects[type_name] in seen) == (role == "peeker")
    assert (world.a1_objects[type_name] in seen) == (role != "nobody")


@pytest.mark.parametrize("role", ("viewer", "editor", "nobody"))
def test_collections_of_hidden_owners_are_not_found(world: World, role: str) -> None:
    for path in (f"/defect/{world.a2_objects['Defect']}/Discussion",
                 f"/defect/{world.a2_objects['Defect']}/Attachments",
                 f"/testcase/{world.a2_objects['TestCase']}/Results",
                 f"/revisionhistory/{world.a2_objects['RevisionHistory']}/Revisions"):
        body = _raw(world.users[role], "GET", path, params={"fetch": "true"})
        assert _errors(body) == ["Cannot find object to read"], path
        assert "secret" not in str(body)


def test_other_workspaces_are_invisible(world: World) -> None:
    for role in ROLES:
        rows = world.users[role].rows("defect", workspace=f"/workspace/{world.w2}", project="null")
        assert rows == []
        body = _raw(world.users[role], "GET", f"/defect/{world.w2_defect}")
        assert _errors(body) == ["Cannot find object to read"]
    assert world.admin.rows("defect", workspace=f"/workspace/{world.w2}", project="null") != []


def test_workspace_queries_list_only_workspaces_with_a_grant(world: World) -> None:
    def oids(client: Wsapi) -> set[int]:
        return {int(r["ObjectID"]) for r in client.rows("workspace", fetch="ObjectID")}

    assert oids(world.admin) == {world.w1, world.w2}
    for role in ("viewer", "editor", "peeker"):
        assert oids(world.users[role]) == {world.w1}, role
    assert oids(world.users["nobody"]) == set()


# -- dotted paths and rendering ------------------------------------------------------------

@pytest.fixture(scope="module")
def linked(world: World) -> int:
    """A defect of A1 (visible to every A1 role) whose Requirement is A2's secret story."""
    story = world.ref("HierarchicalRequirement", world.a2_objects["HierarchicalRequirement"])
    return _oid(world.admin.create("defect", {"Name": "A1 linked defect", "Requirement": story},
                                   workspace=f"/workspace/{world.w1}", project=f"/project/{world.a1}"))


@pytest.mark.parametrize("role", ("viewer", "editor"))
def test_dotted_paths_do_not_reveal_hidden_targets(world: World, linked: int, role: str) -> None:
    query = '(Requirement.Name contains "A2 secret")'
    assert [_oid(r) for r in world.admin.rows("defect", query=query, fetch="ObjectID")] == [linked]
    assert world.users[role].rows("defect", query=query) == []
    assert world.users["peeker"].rows("defect", query=query, fetch="ObjectID") != []
    # ... nor through a collection of a visible owner, nor through a hidden reference read as null
    story_ref = world.ref("HierarchicalRequirement", world.a2_objects["HierarchicalRequirement"])
    assert linked in {_oid(r) for r in world.users[role].rows("defect", query="(Requirement.Name = null)",
                                                                fetch="ObjectID")}
    # a reference condition sees a hidden target as null: no probing by ObjectID
    def oids(client: Wsapi, query: str) -> set[int]:
        return {_oid(r) for r in client.rows("defect", query=query, fetch="ObjectID", pagesize=2000)}

    assert linked in oids(world.admin, f"(Requirement = {story_ref})")
    assert linked not in oids(world.users[role], f"(Requirement = {story_ref})")
    assert linked not in oids(world.admin, f"(Requirement != {story_ref})")
    assert linked in oids(world.users[role], f"(Requirement != {story_ref})")
    unlinked = world.a1_objects["Defect"]  # no Requirement: != is NULL-aware, whoever asks, whatever the target
    a1_story = world.ref("HierarchicalRequirement", world.a1_objects["HierarchicalRequirement"])
    for target in (story_ref, a1_story):
        assert unlinked in oids(world.admin, f"(Requirement != {target})")
        assert unlinked in oids(world.users[role], f"(Requirement != {target})")
    assert linked not in oids(world.admin, "(Requirement = null)")
    assert linked in oids(world.users[role], "(Requirement = null)")
    assert linked in oids(world.admin, "(Requirement != null)")
    assert linked not in oids(world.users[role], "(Requirement != null)")
    assert linked in oids(world.users[role], f"(Requirement in null,{story_ref})")
    assert linked not in oids(world.users[role], f"(Requirement in {story_ref})")
    # sorting by the hidden story's name must not fail (nor place the row by that name)
    rows = world.users[role].rows("defect", order="Requirement.Name desc", fetch="ObjectID")
    assert linked in {_oid(r) for r in rows}


@pytest.mark.parametrize("role", ("viewer", "editor"))
def test_a_hidden_reference_renders_as_null(world: World, linked: int, role: str) -> None:
    obj = world.users[role].read(f"/defect/{linked}", fetch="Name,Requirement")
    assert obj["Requirement"] is None
    shown = world.admin.read(f"/defect/{linked}", fetch="Name,Requirement")
    assert shown["Requirement"]["Name"] == "A2 secret story"
    page = world.users[role].rows("defect", query='(Name = "A1 linked defect")', fetch="Requirement,Name")
    assert page[0]["Requirement"] is None


# -- writes: references --------------------------------------------------------------------

@pytest.mark.parametrize("target", ("a2_story", "w2_defect"))
def test_a_reference_to_what_the_caller_cannot_see_is_refused(world: World, target: str) -> None:
    ref = (world.ref("HierarchicalRequirement", world.a2_objects["HierarchicalRequirement"])
           if target == "a2_story" else world.ref("Defect", world.w2_defect))
    attr = "Requirement" if target == "a2_story" else "DuplicateOf"
    fields: dict[str, Any] = {"Name": "probe", attr: ref} if attr == "Requirement" else {"Name": "probe",
                                                                                           "Duplicates": [ref]}
    errors = _attempt(world, world.users["editor"], "POST", "defect/create", json={"Defect": fields},
                      params={"workspace": f"/workspace/{world.w1}", "project": f"/project/{world.a1}"})
    assert errors == [f"Could not read: Could not read referenced object {oid_of(ref)}"]
    # the same create by the admin works, but a cross-workspace reference never does
    answer = _raw(world.admin, "POST", "defect/create", json={"Defect": fields},
                  params={"workspace": f"/workspace/{world.w1}", "project": f"/project/{world.a1}"})
    assert (_errors(answer) == []) == (target == "a2_story")


def test_an_update_cannot_point_at_a_hidden_object_and_echo_it(world: World) -> None:
    mine = world.a1_objects["Defect"]
    story = world.a2_objects["HierarchicalRequirement"]
    errors = _attempt(world, world.users["editor"], "POST", f"/defect/{mine}",
                      json={"Defect": {"Requirement": world.ref("HierarchicalRequirement", story)}})
    assert errors == [f"Could not read: Could not read referenced object {story}"]


# -- writes: owned objects -----------------------------------------------------------------

def _owned_creates(world: World, objects: dict[str, int]) -> list[tuple[str, dict[str, Any]]]:
    defect = world.ref("Defect", objects["Defect"])
    tc = world.ref("TestCase", objects["TestCase"])
    return [
        ("ConversationPost", {"Artifact": defect, "Text": "injected"}),
        ("TestCaseResult", {"TestCase": tc, "Build": "9", "Date": "2026-01-02T00:00:00.000Z", "Verdict": "Fail"}),
        ("TestCaseStep", {"TestCase": tc, "StepIndex": 2, "Input": "injected"}),
        ("Attachment", {"Artifact": defect, "Name": "x.txt", "ContentType": "text/plain", "User": "/user/" + str(
            world.a1_objects["User"]),
                        "Content": world.ref("AttachmentContent", objects["AttachmentContent"])}),
    ]


@pytest.mark.parametrize("index", range(4))
def test_owned_objects_follow_their_owner_on_create(world: World, index: int) -> None:
    type_name, fields = _owned_creates(world, world.a2_objects)[index]
    params = {"workspace": f"/workspace/{world.w1}"}
    # editor cannot see A2: the owner reads as missing
    errors = _attempt(world, world.users["editor"], "POST", f"{type_name.lower()}/create",
                      json={type_name: fields}, params=params)
    assert errors and errors[0].startswith("Could not read: Could not read referenced object")
    # peeker sees A2 but only as a Viewer
    errors = _attempt(world, world.users["peeker"], "POST", f"{type_name.lower()}/create",
                      json={type_name: fields}, params=params)
    assert errors == [f"Not authorized to create: {type_name}"]
    # in A1, where both are Editors, the same create works (attachments need their own content)
    type_a1, fields_a1 = _owned_creates(world, world.a1_objects)[index]
    if type_a1 == "Attachment":
        content = world.users["editor"].create("attachmentcontent", {"Content": _b64(b"mine")}, **params)
        fields_a1 = {**fields_a1, "Content": content["_ref"]}
    created = world.users["editor"].create(type_a1.lower(), fields_a1, **params)
    assert created["ObjectID"]
    # ... and a Viewer of A1 is refused there
    errors = _attempt(world, world.users["viewer"], "POST", f"{type_a1.lower()}/create",
                      json={type_a1: fields_a1}, params=params)
    assert errors and errors[0] in (f"Not authorized to create: {type_a1}",
                                    f"Could not read: Could not read referenced object {oid_of(fields_a1['Content'])}"
                                    if "Content" in fields_a1 else "")


@pytest.mark.parametrize("type_name", ("Attachment", "AttachmentContent", "ConversationPost", "TestCaseResult",
                                       "TestCaseStep"))
def test_owned_objects_follow_their_owner_on_update_and_delete(world: World, type_name: str) -> None:
    oid = world.a2_objects[type_name]
    fields = {"AttachmentContent": {"Content": _b64(b"overwritten")}, "Attachment": {"Name": "renamed"},
              "ConversationPost": {"Text": "rewritten"}, "TestCaseResult": {"Notes": "rewritten"},
              "TestCaseStep": {"Input": "rewritten"}}[type_name]
    path = world.ref(type_name, oid)
    errors = _attempt(world, world.users["editor"], "POST", path, json={type_name: fields})
    assert errors == [f"Could not read: Could not read {type_name} {oid} to update."]
    errors = _attempt(world, world.users["peeker"], "POST", path, json={type_name: fields})
    assert errors == [f"Not authorized to update: {type_name} {oid}"]
    assert _attempt(world, world.users["editor"], "DELETE", path) == ["Object to delete cannot be null"]
    assert _attempt(world, world.users["peeker"], "DELETE", path) == [f"Not authorized to delete: {type_name} {oid}"]
    # the editor of A1 does the same to A1's object of that type
    mine = world.ref(type_name, world.a1_objects[type_name])
    answer = _raw(world.users["editor"], "POST", mine, json={type_name: fields})
    assert _errors(answer) == []


def test_the_recycle_bin_follows_the_deleted_objects_project(world: World) -> None:
    entry = world.a2_objects["RecycleBinEntry"]
    assert _attempt(world, world.users["editor"], "DELETE", f"/recyclebinentry/{entry}") == [
        "Object to delete cannot be null"]
    assert _attempt(world, world.users["peeker"], "DELETE", f"/recyclebinentry/{entry}") == [
        f"Not authorized to delete: RecycleBinEntry {entry}"]
    seen = {_oid(r) for r in world.users["editor"].rows("recyclebinentry", fetch="ObjectID", project="null")}
    assert world.a1_objects["RecycleBinEntry"] in seen and entry not in seen


def test_revision_texts_stay_with_their_artifact(world: World) -> None:
    texts = [r.get("Description", "") for r in world.users["editor"].rows("revision", fetch="Description",
                                                                          project="null", pagesize=2000)]
    assert any("A1 secret notes" in t for t in texts)
    assert not any("A2 secret" in t for t in texts)


# -- writes: collections -------------------------------------------------------------------

def test_collection_add_needs_rights_on_both_objects(world: World, linked: int) -> None:
    story = world.ref("HierarchicalRequirement", world.a1_objects["HierarchicalRequirement"])
    a2_defect = world.a2_objects["Defect"]
    for client, target, expected in (
            ("editor", a2_defect, f"Could not read: Could not read referenced object {a2_defect}"),
            ("editor", world.w2_defect, f"Could not read: Could not read referenced object {world.w2_defect}"),
            ("peeker", a2_defect, f"Not authorized to update: Defect {a2_defect}"),
            ("viewer", world.a1_objects["Defect"],
             f"Not authorized to update: HierarchicalRequirement {world.a1_objects['HierarchicalRequirement']}")):
        errors = _attempt(world, world.users[client], "POST", f"{story}/Defects/add",
                          json={"CollectionItems": [{"_ref": world.ref("Defect", target)}]})
        assert errors == [expected], (client, target)
    added = _raw(world.users["editor"], "POST", f"{story}/Defects/add",
                 json={"CollectionItems": [{"_ref": world.ref("Defect", world.a1_objects["Defect"])}]})
    assert _errors(added) == []


def test_collection_remove_needs_rights_on_both_objects(world: World) -> None:
    story = world.ref("HierarchicalRequirement", world.a1_objects["HierarchicalRequirement"])
    a2_defect = world.admin.create("defect", {"Name": "A2 defect of an A1 story", "Requirement": story},
                                   workspace=f"/workspace/{world.w1}", project=f"/project/{world.a2}")
    errors = _attempt(world, world.users["peeker"], "POST", f"{story}/Defects/remove",
                      json={"CollectionItems": [{"_ref": a2_defect["_ref"]}]})
    assert errors == [f"Not authorized to update: Defect {_oid(a2_defect)}"]
    errors = _attempt(world, world.users["editor"], "POST", f"{story}/Defects/remove",
                      json={"CollectionItems": [{"_ref": a2_defect["_ref"]}]})
    assert errors == [f"Could not read: Could not read referenced object {_oid(a2_defect)}"]
    removed = _raw(world.admin, "POST", f"{story}/Defects/remove", json={"CollectionItems": [{"_ref": a2_defect["_ref"]}]})
    assert _errors(removed) == []


def test_tags_from_another_workspace_cannot_be_linked(world: World) -> None:
    tag = world.admin.create("tag", {"Name": "W2 tag"}, workspace=f"/workspace/{world.w2}")
    mine = world.ref("Defect", world.a1_objects["Defect"])
    for client in (world.users["editor"], world.admin):
        errors = _attempt(world, client, "POST", f"{mine}/Tags/add", json={"CollectionItems": [{"_ref": tag["_ref"]}]},
                          params={"workspace": f"/workspace/{world.w1}"})
        assert errors == [f"Could not read: Could not read referenced object {_oid(tag)}"]


def test_collection_counts_leave_out_hidden_members(world: World) -> None:
    story = world.admin.create("hierarchicalrequirement", {"Name": "A1 story with hidden defects"},
                               workspace=f"/workspace/{world.w1}", project=f"/project/{world.a1}")
    for project in (world.a1, world.a2, world.a2):
        world.admin.create("defect", {"Name": "counted", "Requirement": story["_ref"]},
                           workspace=f"/workspace/{world.w1}", project=f"/project/{project}")
    counts = {who: client.read(story["_ref"], fetch="Defects")["Defects"]["Count"]
              for who, client in [("admin", world.admin), *world.users.items()] if who != "nobody"}
    assert counts == {"admin": 3, "viewer": 1, "editor": 1, "peeker": 3}
    listed = world.users["editor"].rows(f"{world.admin.path(story['_ref'])}/Defects", fetch="ObjectID")
    assert len(listed) == 1


@pytest.mark.parametrize(("type_name", "attr", "owner"), [("ConversationPost", "Artifact", "Defect"),
                                                          ("Attachment", "Artifact", "Defect"),
                                                          ("TestCaseResult", "TestCase", "TestCase"),
                                                          ("TestCaseStep", "TestCase", "TestCase")])
def test_an_owned_object_cannot_be_moved_to_an_owner_without_rights(world: World, type_name: str, attr: str,
                                                                    owner: str) -> None:
    mine = world.ref(type_name, world.a1_objects[type_name])
    theirs = world.ref(owner, world.a2_objects[owner])
    errors = _attempt(world, world.users["peeker"], "POST", mine, json={type_name: {attr: theirs}})
    assert errors == [f"Not authorized to update: {type_name} {world.a1_objects[type_name]}"]
    errors = _attempt(world, world.users["editor"], "POST", mine, json={type_name: {attr: theirs}})
    assert errors == [f"Could not read: Could not read referenced object {world.a2_objects[owner]}"]


def test_a_task_cannot_be_moved_under_a_work_product_without_rights(world: World) -> None:
    story = world.ref("HierarchicalRequirement", world.a1_objects["HierarchicalRequirement"])
    task = world.users["peeker"].create("task", {"Name": "mine", "WorkProduct": story},
                                        workspace=f"/workspace/{world.w1}")
    theirs = world.ref("HierarchicalRequirement", world.a2_objects["HierarchicalRequirement"])
    errors = _attempt(world, world.users["peeker"], "POST", task["_ref"], json={"Task": {"WorkProduct": theirs}})
    assert errors == [f"Not authorized to update: Task {task['ObjectID']}"]
    moved = _raw(world.admin, "POST", task["_ref"], json={"Task": {"WorkProduct": theirs}})
    assert _errors(moved) == []


def test_a_collection_given_in_an_update_needs_rights_on_its_members(world: World) -> None:
    story = world.users["peeker"].create("hierarchicalrequirement", {"Name": "peeker's story"},
                                         workspace=f"/workspace/{world.w1}", project=f"/project/{world.a1}")
    for attr, theirs in (("Successors", world.a2_objects["HierarchicalRequirement"]),
                         ("Attachments", world.a2_objects["Attachment"])):
        type_name = "HierarchicalRequirement" if attr == "Successors" else "Attachment"
        errors = _attempt(world, world.users["peeker"], "POST", story["_ref"],
                          json={"HierarchicalRequirement": {attr: [world.ref(type_name, theirs)]}})
        assert errors == [f"Not authorized to update: {type_name} {theirs}"]
    mine = world.users["peeker"].create("hierarchicalrequirement", {"Name": "peeker's successor"},
                                        workspace=f"/workspace/{world.w1}", project=f"/project/{world.a1}")
    done = _raw(world.users["peeker"], "POST", story["_ref"],
                json={"HierarchicalRequirement": {"Successors": [mine["_ref"]]}})
    assert _errors(done) == []
    assert world.admin.read(story["_ref"], fetch="Successors")["Successors"]["Count"] == 1
