"""The PyPI Rally client ``rally-cli`` 2.0.4 (package ``rallycli``), unmodified, in its own venv
(``.venv-rallycli``, pinned in ``rallycli_client/requirements.txt``), against the emulator over HTTPS
with the certificate verified: its whole public API (users, projects and the project tree,
timeboxes and milestones, artifacts and their collections, the aiohttp bulk updates, quality,
SCM and builds, attribute definitions and allowed values, the generic paged and threaded query)
with an API key, then with a user name and password (writes carry the ``security/authorize`` key).

The driver (``rallycli_client/driver.py``) prints one JSON line per step; these tests assert on
them.  Bad input (a bad query, an unknown attribute or type, an unknown ref, an invalid value, a
missing required field) reaches the client as a ``RallyError`` carrying Rally's text, and changes
nothing.  Where rally-cli itself breaks against real Rally too, docs/emulator.md says so.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pyral.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).parent / "rallycli_client" / "driver.py"
PYTHON = ROOT / ".venv-rallycli" / "bin" / "python"
TAG = "rcli"

Steps = dict[str, dict[str, Any]]
Ran = tuple[Emulator, dict[str, Any], Steps]


def wsapi(emu: Emulator) -> httpx.Client:
    """Plain HTTPS to the emulator as the admin, trusting its certificate."""
    assert emu.cert is not None
    return httpx.Client(base_url=emu.wsapi_url, verify=ssl.create_default_context(cafile=emu.cert),
                        headers={"ZSESSIONID": emu.admin_api_key})


def seed(emu: Emulator) -> dict[str, Any]:
    """What a Rally workspace would already hold: a project under another, its timeboxes, a tag and
    defects to page through; the admin is a team member of the team project."""
    with wsapi(emu) as http:
        def create(type_name: str, body: dict[str, Any]) -> str:
            answer = http.post(f"/{type_name}/create", json={type_name: body}).json()["CreateResult"]
            assert not answer["Errors"], answer
            return str(answer["Object"]["_ref"])

        workspace = http.get("/workspace").json()["QueryResult"]["Results"][0]["_ref"]
        root = create("Project", {"Name": f"{TAG} root", "Workspace": workspace, "State": "Open"})
        team = create("Project", {"Name": f"{TAG} team", "Workspace": workspace, "Parent": root, "State": "Open"})
        admin = http.get("/user").json()["User"]["_ref"]
        answer = http.post(f"{team}/TeamMembers/add", json={"CollectionItems": [{"_ref": admin}]}).json()
        assert not answer["OperationResult"]["Errors"], answer
        for name, start, end in (("R1", "2026-01-01", "2026-03-31"), ("R2", "2026-04-01", "2026-06-30")):
            create("Release", {"Name": f"{TAG} {name}", "Project": team, "State": "Planning",
                               "ReleaseStartDate": f"{start}T00:00:00.000Z", "ReleaseDate": f"{end}T00:00:00.000Z"})
        for name, start, end, state in (("S1", "2025-12-01", "2025-12-14", "Accepted"),
                                        ("S2", "2025-12-15", "2025-12-28", "Accepted"),
                                        ("S3", "2026-01-01", "2026-01-14", "Committed"),
                                        ("S4", "2026-01-15", "2026-01-28", "Planning")):
            create("Iteration", {"Name": f"{TAG} {name}", "Project": team, "State": state,
                                 "StartDate": f"{start}T00:00:00.000Z", "EndDate": f"{end}T00:00:00.000Z"})
        create("Tag", {"Name": f"{TAG}-tag"})
        for i in range(5):
            create("Defect", {"Name": f"{TAG} page {i}", "Project": team if i % 2 else root})
        return {"workspace": workspace, "root": root, "team": team}


def run_driver(emu: Emulator) -> Steps:
    if not PYTHON.exists():
        pytest.fail("rally-cli is not installed in .venv-rallycli: run bash scripts/setup.sh")
    # A real user's TLS settings: the CA they were given, for requests and for aiohttp.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RALLY_", "REQUESTS_CA", "CURL_CA", "SSL_CERT"))}
    env.update(RALLY_BASEURL=f"{emu.url}/", RALLY_API_KEY=emu.admin_api_key, RALLY_USERNAME=emu.admin_user,
               RALLY_PASSWORD=emu.admin_password, DRIVER_TAG=TAG, REQUESTS_CA_BUNDLE=str(emu.cert),
               SSL_CERT_FILE=str(emu.cert), NO_PROXY="127.0.0.1,localhost")
    proc = subprocess.run([str(PYTHON), str(DRIVER)], env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    steps = {}
    for line in proc.stdout.splitlines():
        row = json.loads(line)
        steps[row["step"]] = row
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-3000:])
    return steps


@pytest.fixture(scope="module")
def ran(tls_emulator: Emulator) -> Iterator[Ran]:
    tls_emulator.reset()
    seeded = seed(tls_emulator)
    yield tls_emulator, seeded, run_driver(tls_emulator)
    tls_emulator.reset()


def ok(steps: Steps, name: str) -> Any:
    row = steps.get(name)
    assert row is not None, f"step {name} did not run"
    assert row["ok"], f"step {name} failed: {row['error']}"
    return row["value"]


def failed(steps: Steps, name: str) -> str:
    row = steps.get(name)
    assert row is not None, f"step {name} did not run"
    assert not row["ok"], f"step {name} should have been refused, got {row['value']}"
    return f"{row['error']['type']}: {row['error']['text']}"


def count(emu: Emulator, type_name: str, query: str) -> int:
    """How many objects of a type match, asked over HTTP as any client would."""
    with wsapi(emu) as http:
        answer = http.get(f"/{type_name}", params={"query": query, "pagesize": 1}).json()["QueryResult"]
    assert not answer["Errors"], answer
    return int(answer["TotalResultCount"])


def test_connects_with_an_api_key_over_verified_tls_and_reads_users_and_projects(ran: Ran) -> None:
    emu, seeded, steps = ran
    assert ok(steps, "workspace.query") == [["Default Workspace", seeded["workspace"].split("v2.0")[1]]]
    me = ok(steps, "user.this")
    # GET /user is the caller's own User; single-object reads carry no _type.
    assert me == {"class": "User", "UserName": emu.admin_user, "ref": me["ref"], "type": None}
    assert ok(steps, "user.by_username") == [me["ref"], None]
    assert ok(steps, "project.by_name") == {"root": ["Project", f"{TAG} root"], "team": f"{TAG} team",
                                            "team.parent": f"{TAG} root"}
    assert ok(steps, "project.by_ref") == f"{TAG} team"
    assert ok(steps, "project.members") == [emu.admin_user]


def test_timeboxes_and_milestones(ran: Ran) -> None:
    steps = ran[2]
    assert ok(steps, "release.for_project") == [f"{TAG} R1", f"{TAG} R2"]
    assert ok(steps, "iteration.active") == [[f"{TAG} S3", "Committed", "Iteration"],
                                             [f"{TAG} S4", "Planning", "Iteration"]]
    assert ok(steps, "iteration.last_ended") == f"{TAG} S2"  # order=EndDate desc over the Accepted ones
    made = ok(steps, "milestone.create")
    assert made == {"class": "Milestone", "Name": f"{TAG}-launch", "FormattedID": "MI1",
                    "TargetDate": "2026-03-01 00:00:00+00:00", "TargetProject": f"{TAG} team"}
    assert ok(steps, "milestone.read") == {"by_ref": f"{TAG}-launch", "by_formattedid": f"{TAG}-launch",
                                           "by_name": f"{TAG}-launch", "unknown_formattedid": None}
    # (Projects contains "<absolute project URL>") finds it once the project is in its Projects.
    assert ok(steps, "milestone.for_project")["after"] == [f"{TAG}-launch"]
    assert ok(steps, "milestone.artifacts") == {"added": [f"{TAG} story 0", f"{TAG} story 1"],
                                                "left": [f"{TAG} story 1"]}


def test_artifacts_create_read_update_and_collections(ran: Ran) -> None:
    emu, _, steps = ran
    story = ok(steps, "artifact.create.story")
    assert story == {"class": "US", "Name": f"{TAG} story", "FormattedID": "US", "Owner": "Emulator Admin",
                     "Iteration": f"{TAG} S3", "ScheduleState": "Defined", "PlanEstimate": 3}
    assert ok(steps, "artifact.create.more") == {
        "stories": [f"{TAG} story 0", f"{TAG} story 1"], "feature": ["Feature", "F"],
        "defect": ["Major Problem", "Submitted", f"{TAG} story"]}
    assert ok(steps, "artifact.by_formattedid") == {"story": ["US", f"{TAG} story"],
                                                    "defect": ["Defect", f"{TAG} defect"], "unknown": None}
    assert ok(steps, "artifact.update.keys") == {"Name": f"{TAG} story renamed", "Blocked": True, "version": True}
    assert ok(steps, "artifact.update.list") == [["US", f"async {TAG} story 0"], ["US", f"async {TAG} story 1"]]
    assert ok(steps, "artifact.schedulestate") == ["In-Progress", "In-Progress"]
    assert ok(steps, "artifact.portfolio_state") == {"states": ["Developing", "Discovering", "Done", "Measuring"],
                                                     "now": "Developing"}
    assert ok(steps, "artifact.flowstates") == ["Defined", "In-Progress", "Completed", "Accepted"]
    assert ok(steps, "artifact.tags") == {"added": [f"{TAG}-tag"], "left": 0}
    assert ok(steps, "artifact.collection") == {"added": [f"{TAG}-launch"], "left": 0}
    assert ok(steps, "artifact.feature_stories") == [f"{TAG} story 0", f"{TAG} story 1"]
    assert count(emu, "hierarchicalrequirement", f'(Name contains "{TAG} story")') == 3


def test_quality_scm_attributes_and_users(ran: Ran) -> None:
    emu, _, steps = ran
    assert ok(steps, "quality") == {
        "testset": ["TestSet", "TS"], "testcase": ["Manual", "Functional"], "in_set": [f"{TAG} case"],
        "tcr": ["TestCaseResult", "Pass", f"{TAG} case"], "get_testset": ["TestSet", f"{TAG} set"],
        "milestone_has_set": True, "left_in_set": 0, "case": [f"{TAG} case", "Pass"]}
    scm = ok(steps, "scm")
    assert scm["repo"] == [f"{TAG}-repo", "git", f"{TAG}-repo", [f"{TAG} team"]]
    assert scm["changeset"] == ["abc123", "main", "2026-01-06T12:00:00.000Z", ["abc123"]]
    # rallycli sends ExternalFormattedID; Rally's element is ExternalFormattedId (names are case-insensitive).
    assert scm["pullrequest"] == [f"{TAG} pr", "PR-1", f"{TAG} story renamed", [f"{TAG} pr"]]
    assert scm["builddefinition"] == [f"{TAG}-build", f"{TAG}-build"]
    assert scm["build"] == ["1.0.1", "SUCCESS", 12.5, ["abc123"]] and scm["missing_repo"] is None
    attrs = ok(steps, "attributes")
    assert attrs["severity"] == ["Severity", "RATING", False,
                                 ["None", "Crash/Data Loss", "Major Problem", "Minor Problem", "Cosmetic"]]
    assert attrs["custom"] == [f"c_{TAG}Kind", True, "STRING"]
    assert attrs["renamed"] == ["AllowedValue", "Gamma"] and attrs["after"] == ["Gamma"]
    assert attrs["changed"] == [f"{TAG}Sort", f"c_{TAG}Kind", False]
    assert attrs["scoped"] == [True, f"{TAG}Sort"] and attrs["missing"] is None
    assert ok(steps, "users") == {
        "created": ["User", f"{TAG}-dev@example.com", False], "department": "Quality", "phone": ["User", "555-0100"],
        "permission": ["Editor", f"{TAG} team"], "members": [emu.admin_user, f"{TAG}-dev@example.com"]}


def test_generic_query_pages_threads_order_and_scope(ran: Ran) -> None:
    steps = ran[2]
    names = [f"{TAG} page {i}" for i in range(5)]
    # Pages of 2 fetched one after another and by 3 threads; `limit` is no WSAPI parameter (ignored).
    assert ok(steps, "query.paging") == {"one": names, "threads": names, "limit": names[::-1], "scoped_up_only": 3}


def test_bad_input_reaches_the_client_as_rallys_error_and_changes_nothing(ran: Ran) -> None:
    emu, _, steps = ran
    assert failed(steps, "bad.query").endswith(
        "Could not parse: Error parsing expression -- expected a value but saw end of query instead.")
    assert failed(steps, "bad.query.attribute").endswith(
        'Could not parse: Could not find attribute "NoSuchField" on type Defect in the query segment "NoSuchField"')
    assert failed(steps, "bad.type").endswith('Requested type name "nosuchtype" is unknown.')
    assert failed(steps, "bad.ref").endswith("Cannot find object to read")
    assert "Not a severity is an invalid value for Severity" in failed(steps, "bad.update.value")
    assert ok(steps, "bad.update.after") == "Major Problem"
    assert failed(steps, "bad.create.missing_name").endswith("HierarchicalRequirement.Name should not be null")
    assert failed(steps, "bad.create.unknown_project").endswith("Could not read referenced object 999999999")
    assert failed(steps, "bad.create.not_a_number").endswith(
        'Cannot convert "lots" to a number for HierarchicalRequirement.PlanEstimate')
    assert ok(steps, "bad.create.after") == 0
    assert failed(steps, "bad.collection.unknown_ref").endswith("Could not read referenced object 999999999")
    assert ok(steps, "bad.collection.after") == 0
    unknown_collection = failed(steps, "bad.collection.unknown_name")  # the text is the emulator's choice
    assert unknown_collection.startswith("RallyError") and '"NoSuchCollection"' in unknown_collection
    assert failed(steps, "bad.delete.again").endswith("Object to delete cannot be null")
    # A wrong API key: HTTP 401, which rallycli raises as requests' HTTPError.
    assert failed(steps, "bad.key.read") == "HTTPError: 401"
    assert failed(steps, "bad.key.create") == "HTTPError: 401"
    assert count(emu, "hierarchicalrequirement", f'(Name contains "{TAG} intruder")') == 0
    assert count(emu, "hierarchicalrequirement", "(Name = null)") == 0


def test_user_and_password_mode_writes_with_the_security_token(ran: Ran) -> None:
    emu, _, steps = ran
    assert ok(steps, "basic.user.this") == emu.admin_user
    assert ok(steps, "basic.writes") == {"created": f"{TAG} basic defect", "priority": "High Attention",
                                         "found": ["High Attention"]}
    assert ok(steps, "basic") is None and ok(steps, "keyed") is None


def test_what_rallycli_itself_gets_wrong_fails_as_it_would_against_rally(ran: Ran) -> None:
    """rally-cli's own defects (docs/emulator.md, "Third-party clients"): each fails in the client, or
    with the refusal Rally documents, and writes nothing."""
    steps = ran[2]
    assert failed(steps, "project.tree") == "AttributeError: 'dict' object has no attribute 'ref'"
    # "(A AND B)" without inner parentheses and a Project attribute Milestone lacks: Rally cannot parse it.
    assert failed(steps, "milestone.last_ended").endswith(
        'Could not parse: Error parsing expression -- expected ")" but saw "AND" instead.')
    assert failed(steps, "artifact.by_formattedid.feature").startswith("TypeError")
    # An update with no body_keys sends every collection back as its {_ref, Count} summary (KB-225337).
    assert "Cannot parse object reference from" in failed(steps, "artifact.update.whole")
    assert ok(steps, "artifact.update.whole.after") == ""
    assert "'Defect' object has no attribute 'clean_for_update'" in failed(steps, "artifact.delete")
    assert ok(steps, "artifact.delete.after") == 1
    # .../ScopedAttributeDefinition/None: a built-in attribute's OID is negative
    assert failed(steps, "attributes.scoped.builtin") == "HTTPError: 404"
    assert failed(steps, "basic.update.list") == "TypeError: Cannot serialize non-str key None"
    assert ok(steps, "basic.update.list.after") == ""

