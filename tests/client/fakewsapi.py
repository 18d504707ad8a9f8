"""A tiny in-memory WSAPI used through ``httpx.MockTransport`` (unit tests of the client only;
the integration tests use the real emulator over sockets)."""

from __future__ import annotations

import json
import re
import threading
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx

HOST = "https://fake.rally"
SRV = f"{HOST}/slm/webservice/v2.0"


def _meta(typ: str, oid: int, name: str) -> dict[str, Any]:
    return {"_rallyAPIMajor": "2", "_rallyAPIMinor": "0", "_ref": f"{SRV}/{typ.lower()}/{oid}",
            "_refObjectUUID": f"uuid-{oid}", "_refObjectName": name, "_type": typ}


class FakeWSAPI:
    """Stories (with Tasks), one workspace ``WS`` with projects ``P1``, ``P2`` (child of P1)."""

    def __init__(self, n_stories: int = 7, apikey: str = "_secretkey123") -> None:
        self.apikey = apikey
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()
        self.token_requests = 0
        self.reject_next_key = False
        self.next_oid = 90000
        self.objects: dict[str, dict[int, dict[str, Any]]] = {"hierarchicalrequirement": {}, "task": {}}
        for i in range(1, n_stories + 1):
            self._add_story(i)

    def _add_story(self, i: int) -> dict[str, Any]:
        oid = 5000 + i
        story = {**_meta("HierarchicalRequirement", oid, f"Story {i}"), "ObjectID": oid,
                 "FormattedID": f"US{i}", "Name": f"Story {i}", "PlanEstimate": i, "c_NumberofCases": i,
                 "Project": _meta("Project", 2001, "P1"), "ScheduleState": "Defined"}
        self.objects["hierarchicalrequirement"][oid] = story
        if i % 2 == 1:
            for t in range(2):
                toid = 7000 + i * 10 + t
                self.objects["task"][toid] = {**_meta("Task", toid, f"Task {i}.{t}"), "ObjectID": toid,
                                              "Name": f"Task {i}.{t}", "Estimate": 1.5,
                                              "WorkProduct": _meta("HierarchicalRequirement", oid,
                                                                   story["Name"])}
        return story

    # ----------------------------------------------------------------------------------
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
        auth = request.headers.get("ZSESSIONID")
        basic = request.headers.get("Authorization")
        if auth != self.apikey and not (basic and auth is None and basic.startswith("Basic ")):
            return httpx.Response(401, text="Unauthorized")
        if basic and "d3Jvbmc" in basic:  # "wrong" user
            return httpx.Response(401, text="Unauthorized")
        path = unquote(request.url.path)
        params = dict(parse_qsl(request.url.query.decode(), keep_blank_values=True))
        body = json.loads(request.content) if request.content else None
        if path.startswith("/slm/schema/v2.0/workspace/"):
            return self._json({"QueryResult": self._qr(SCHEMA, params)})
        rel = path.split("/slm/webservice/v2.0/", 1)[1]
        if request.method != "GET" and basic and (self.reject_next_key or params.get("key") != "TOKEN"):
            self.reject_next_key = False
            return self._json({"OperationResult": {"Errors": [
                "Not authorized to perform action: Invalid key"], "Warnings": []}})
        return self.route(request.method, rel, params, body)

    @staticmethod
    def _json(data: Any, status: int = 200) -> httpx.Response:
        return httpx.Response(status, json=data)

    def _qr(self, items: list[dict[str, Any]], params: dict[str, str]) -> dict[str, Any]:
        start = int(params.get("start", 1))
        size = min(int(params.get("pagesize", 20)), 2000)
        page = items[start - 1:start - 1 + size]
        return {"_rallyAPIMajor": "2", "_rallyAPIMinor": "0", "Errors": [], "Warnings": [],
                "TotalResultCount": len(items), "StartIndex": start, "PageSize": size, "Results": page}

    def _shape(self, obj: dict[str, Any], fetch: str | None) -> dict[str, Any]:
        meta = {k: v for k, v in obj.items() if k.startswith("_")}
        if fetch in (None, "true"):
            out = dict(obj)
            typ = obj["_type"]
            if typ == "HierarchicalRequirement":
                tasks = [t for t in self.objects["task"].values() if t["WorkProduct"]["_ref"] == obj["_ref"]]
                out["Tasks"] = {"_ref": f"{SRV}/HierarchicalRequirement/{obj['ObjectID']}/Tasks",
                                "_type": "Task", "Count": len(tasks)}
            return out
        if fetch == "false":
            return meta
        names = fetch.split(",")
        out = dict(meta)
        for n in names:
            n = n if n in obj else f"c_{n}"
            if n in obj:
                out[n] = obj[n]
        return out

    def route(self, method: str, rel: str, params: dict[str, str], body: Any) -> httpx.Response:
        fetch = params.get("fetch")
        if rel == "user":
            return self._json({"User": {**_meta("User", 3001, "Wiley"), "ObjectID": 3001,
                                        "UserName": "wiley@acme.com", "DisplayName": "Wiley",
                                        "Subscription": {**_meta("Subscription", 100, "Acme"), "Name": "Acme"},
                                        "UserProfile": {**_meta("UserProfile", 3101, "profile"),
                                                        "DefaultWorkspace": {**_meta("Workspace", 1001, "WS"),
                                                                             "Name": "WS"},
                                                        "DefaultProject": {**_meta("Project", 2001, "P1"),
                                                                           "Name": "P1"}},
                                        "Errors": [], "Warnings": []}})
        if rel == "security/authorize":
            self.token_requests += 1
            return self._json({"OperationResult": {"Errors": [], "Warnings": [], "SecurityToken": "TOKEN"}})
        if rel.lower() == "subscription/100/workspaces":
            items = [{**_meta("Workspace", 1001, "WS"), "Name": "WS", "ObjectID": 1001, "State": "Open"},
                     {**_meta("Workspace", 1002, "Other WS"), "Name": "Other WS", "ObjectID": 1002,
                      "State": "Open"}]
            return self._json({"QueryResult": self._qr(items, params)})
        m = re.fullmatch(r"workspace/(\d+)/Projects", rel, re.IGNORECASE)
        if m:
            if m.group(1) == "1001":
                items = [{**_meta("Project", 2001, "P1"), "Name": "P1", "ObjectID": 2001, "State": "Open",
                          "Parent": None},
                         {**_meta("Project", 2002, "P2"), "Name": "P2", "ObjectID": 2002, "State": "Open",
                          "Parent": _meta("Project", 2001, "P1")}]
            else:
                items = [{**_meta("Project", 2101, "Zeta"), "Name": "Zeta", "ObjectID": 2101, "State": "Open",
                          "Parent": None},
                         {**_meta("Project", 2102, "Alpha"), "Name": "Alpha", "ObjectID": 2102,
                          "State": "Open", "Parent": None}]
            return self._json({"QueryResult": self._qr(items, params)})
        m = re.fullmatch(r"(hierarchicalrequirement|task)(?:/(\d+)(?:/(\w+))?)?", rel, re.IGNORECASE)
        if m:
            typ = m.group(1).lower()
            store = self.objects[typ]
            oid = int(m.group(2)) if m.group(2) else None
            if oid is None:
                items = sorted(store.values(), key=lambda o: o["ObjectID"])
                q = params.get("query", "")
                fm = re.search(r'FormattedID = "?(\w+)"?', q)
                if fm:
                    items = [i for i in items if i.get("FormattedID") == fm.group(1)]
                return self._json({"QueryResult": self._qr([self._shape(i, fetch) for i in items], params)})
            if m.group(3):
                tasks = [t for t in self.objects["task"].values()
                         if t["WorkProduct"]["_ref"].endswith(f"/{oid}")]
                return self._json({"QueryResult": self._qr([self._shape(t, fetch) for t in tasks], params)})
            if method == "GET":
                obj = store.get(oid)
                if obj is None:
                    return self._json({"OperationResult": {"Errors": ["Cannot find object to read"],
                                                           "Warnings": []}})
                shaped = self._shape(obj, fetch)
                shaped.pop("_type")
                return self._json({obj["_type"]: {**shaped, "Errors": [], "Warnings": []}})
            if method == "POST":
                obj = store[oid]
                data = next(iter(body.values()))
                obj.update({k: v for k, v in data.items() if k not in ("ObjectID", "FormattedID")})
                return self._json({"OperationResult": {"Errors": [], "Warnings": [],
                                                       "Object": self._shape(obj, "true")}})
            if method == "DELETE":
                if store.pop(oid, None) is None:
                    return self._json({"OperationResult": {"Errors": ["Object to delete cannot be null"],
                                                           "Warnings": []}})
                return self._json({"OperationResult": {"Errors": [], "Warnings": []}})
        m = re.fullmatch(r"(hierarchicalrequirement)/create", rel, re.IGNORECASE)
        if m and method == "PUT":
            data = next(iter(body.values()))
            if "Name" not in data:
                return self._json({"CreateResult": {"Errors": [
                    "Validation error: HierarchicalRequirement.Name should not be null"], "Warnings": []}})
            story = self._add_story(len(self.objects["hierarchicalrequirement"]) + 100)
            story.update(data)
            return self._json({"CreateResult": {"Errors": [], "Warnings": [], "Object": self._shape(story, "true")}})
        return self._json({"OperationResult": {"Errors": [f"Not found: {rel}"], "Warnings": []}}, 404)


def _attr(name: str, typ: str = "STRING", custom: bool = False) -> dict[str, Any]:
    return {"_ref": f"{SRV}/attributedefinition/-{abs(hash(name)) % 9999}", "_refObjectName": name,
            "ElementName": name, "Name": name.removeprefix("c_"), "AttributeType": typ, "Custom": custom,
            "Required": False, "ReadOnly": name in ("ObjectID", "FormattedID"), "Filterable": True,
            "Hidden": False, "SchemaType": "string", "Constrained": False, "AllowedValueType": None,
            "AllowedValues": [], "MaxLength": 256, "MaxFractionalDigits": -1}


def _typedef(name: str, attrs: list[dict[str, Any]], type_path: str | None = None) -> dict[str, Any]:
    return {"_ref": f"{SRV}/typedefinition/{abs(hash(name)) % 99999}", "_refObjectName": name,
            "ElementName": name, "Name": name, "DisplayName": name, "TypePath": type_path or name,
            "IDPrefix": "US", "Abstract": False, "Parent": None, "Creatable": True, "Queryable": True,
            "ReadOnly": False, "Deletable": True, "Restorable": True, "Ordinal": -1,
            "RevisionHistory": None, "Attributes": attrs}


SCHEMA = [
    _typedef("HierarchicalRequirement", [_attr("ObjectID", "INTEGER"), _attr("FormattedID"), _attr("Name"),
                                         _attr("PlanEstimate", "QUANTITY"), _attr("ScheduleState", "STATE"),
                                         _attr("c_NumberofCases", "INTEGER", True), _attr("Project", "OBJECT"),
                                         _attr("Tasks", "COLLECTION")]),
    _typedef("Task", [_attr("ObjectID", "INTEGER"), _attr("Name"), _attr("Estimate", "QUANTITY"),
                      _attr("WorkProduct", "OBJECT")]),
    _typedef("Epic", [_attr("Name")], "PortfolioItem/Epic"),
]
