"""Every public name of every upstream 1.7.0 module exists here with upstream's meaning, or is
listed in docs/migrating.md ("Upstream names") with the reason (issue 10).

Both interpreters run ``names_listing.py``: upstream's lists its modules' public names, ours
lists the same modules.  Classes and functions must be classes or callables here too; plain
constants (strings, numbers, lists, dicts, regex patterns) must have upstream's value.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.upstream

LISTING = Path(__file__).with_name("names_listing.py")
MIGRATING = Path(__file__).resolve().parents[2] / "docs" / "migrating.md"


def _listing(python: str, *modules: str) -> dict[str, Any]:
    run = subprocess.run([python, str(LISTING), *modules], capture_output=True, text=True, timeout=120,
                         env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, cwd=LISTING.parent,
                         check=False)
    assert run.returncode == 0, run.stderr
    result: dict[str, Any] = json.loads(run.stdout)
    return result


def _documented() -> set[str]:
    text = MIGRATING.read_text()
    section = text.split("## Upstream names", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`(pyral(?:\.\w+)+)`", section))


@pytest.fixture(scope="module")
def listings(upstream_python: str) -> tuple[dict[str, Any], dict[str, Any]]:
    upstream = _listing(upstream_python)
    return upstream, _listing(sys.executable, *upstream)


def test_every_upstream_module_imports_here(listings: tuple[dict[str, Any], dict[str, Any]]) -> None:
    upstream, ours = listings
    assert {"pyral.restapi", "pyral.entity", "pyral.search_utils", "pyral.proj_utils"} <= set(upstream)
    assert [m for m in upstream if ours.get(m) is None] == []


def test_every_upstream_name_exists_or_is_documented(listings: tuple[dict[str, Any], dict[str, Any]]) -> None:
    upstream, ours = listings
    documented = _documented()
    undocumented = []
    for module, names in upstream.items():
        mine = ours.get(module) or {}
        for name, theirs in names.items():
            full = f"{module}.{name}"
            here = mine.get(name)
            if here is None:
                problem = "missing"
            elif here["kind"] != theirs["kind"] and not (theirs["kind"] == "callable" and here["kind"] == "class"):
                problem = f"a {here['kind']}, upstream's is a {theirs['kind']}"
            elif theirs["kind"] == "value" and theirs["value"] != here["value"]:
                problem = f"{here['value']!r} where upstream has {theirs['value']!r}"
            else:
                continue
            if full not in documented:
                undocumented.append(f"{full}: {problem}")
    assert undocumented == []
    # the documented exceptions are real: a name listed as missing or different really is
    assert all(name.split(".")[-1] in upstream.get(name.rsplit(".", 1)[0], {}) or name in upstream
               for name in documented), "docs/migrating.md lists a name upstream does not have"


def test_the_names_the_issue_named_mean_what_upstream_meant() -> None:
    import pyral
    from pyral import entity, hydrate, multiop, restapi, search_utils
    from pyral.model.entities import HierarchicalRequirement

    assert entity.Story is entity.UserStory is HierarchicalRequirement
    assert hydrate.classFor["Defect"].__name__ == "Defect" and restapi.MAX_PAGESIZE == 2000
    assert pyral.config.WS_API_VERSION == "v2.0" and pyral.context.PROJECT_PATH_ELEMENT_SEPARATOR == " // "
    packed = multiop.batchPacker("Defect", "update", [item := {"ObjectID": 7, "Name": "x"}])
    assert packed == {"Batch": [{"Entry": {"Path": "/defect/7", "Method": "POST", "Body": {"defect": {"Name": "x"}}}}]}
    assert item == {"ObjectID": 7, "Name": "x"}  # the caller's dict is left alone (upstream emptied it)
    assert multiop.batchPacker("Task", "create", [{"Name": "t"}])["Batch"][0]["Entry"]["Path"] == "/task/create"

    class P:
        def __init__(self, name: str, parent: P | None) -> None:
            self.Name, self.Parent, self.ref = name, parent, f"project/{name}"

    root = P("Root", None)
    a, b = P("A", root), P("B", root)
    a1 = P("A1", a)
    pool = [root, b, a, a1]
    assert search_utils.projectDescendants(root, pool) == ["Root", "A", "A1", "B"]
    assert [p.Name for p in search_utils.projectAncestors(a1, pool, [])] == ["Root", "A"]
    assert restapi.projeny is search_utils.projeny is pyral.proj_utils.projeny
    hydrated = hydrate.EntityHydrator(None).hydrateInstance({"_type": "Defect", "_ref": "defect/5", "Name": "d"})
    assert type(hydrated).__name__ == "Defect" and hydrated.oid == 5 and hydrated.Name == "d"
    with pytest.raises(KeyError):
        multiop.batchPacker("Defect", "update", [{"Name": "no id"}])
