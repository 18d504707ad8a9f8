"""Compiler tests: exact rows returned from a real Store, order_by, errors, property tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyral.emulator.catalog import AttrDef, CustomAttr, TypeDef, WorkspaceSchema, catalog
from pyral.emulator.query_compiler import ALLOWED_OPS, QueryCompiler
from pyral.emulator.query_parser import QueryError, parse_query
from pyral.emulator.store import Row, Store

TODAY = date(2024, 1, 10)
WS = 1

SCHEMA = WorkspaceSchema(catalog(), customs=[
    CustomAttr(oid=-5001, type_path="HierarchicalRequirement", name="c_NumberofCases",
               display_name="Number of Cases", attr_type="INTEGER"),
    CustomAttr(oid=-5002, type_path="Defect", name="c_JiraKey", display_name="Jira Key", attr_type="STRING"),
])
COMPILER = QueryCompiler(SCHEMA, today=TODAY)


class Data:
    """A small workspace: users, projects, tags, stories, tasks, defects (some deleted)."""

    def __init__(self) -> None:
        self.store = s = Store()
        self.oids: dict[str, int] = {}

        def add(key: str, type_path: str, data: dict[str, Any], *, deleted: bool = False, **kw: Any) -> Row:
            row = s.insert(type_path, data, workspace=WS, **kw)
            if deleted:
                row.deleted = True
                s.save(row, bump=False)
            self.oids[key] = row.oid
            return row

        alice = add("alice", "User", {"UserName": "alice@x.com", "DisplayName": "Alice"})
        bob = add("bob", "User", {"UserName": "bob@x.com", "DisplayName": "Bob", "Disabled": True})
        carol = add("carol", "User", {"UserName": "carol@x.com"}, deleted=True)
        root = add("root", "Project", {"Name": "Root", "State": "Open"})
        child = add("child", "Project", {"Name": "Child", "Parent": root.oid, "State": "Open"})
        foo = add("foo", "Tag", {"Name": "foo"})
        barbaz = add("barbaz", "Tag", {"Name": "Bar Baz"})
        gone = add("gone", "Tag", {"Name": "gone"}, deleted=True)
        stories = [
            ("US1", dict(Name="Alpha login", ScheduleState="Defined", PlanEstimate=1, Owner=alice.oid,
                         Blocked=False, c_NumberofCases=9, Description="Has <b>HTML</b>"),
             root, "2016-09-29T10:00:00.000Z", "b"),
            ("US2", dict(Name="Beta (and stuff)", ScheduleState="In-Progress", PlanEstimate=3, Owner=bob.oid,
                         Blocked=True, c_NumberofCases=4, Iteration=None),
             child, "2016-10-01T00:00:00.000Z", "d"),
            ("US3", dict(Name="gamma & #hash 50%", ScheduleState="Completed", PlanEstimate=5.5, Blocked=False),
             child, "2016-10-05T12:00:00.000Z", "a"),
            ("US4", dict(Name="Delta", ScheduleState="Accepted", Owner=carol.oid, Blocked=False,
                         c_NumberofCases=9), root, "2024-01-09T23:59:59.999Z", "c"),
            ("US12", dict(Name="epsilon", PlanEstimate=2, Blocked=False), root, "2024-01-10T00:00:00.000Z", None),
        ]
        for key, data, project, created, rank in stories:
            add(key, "HierarchicalRequirement", data, project=project.oid, fid=int(key[2:]),
                created=created, rank=rank)
        add("US5", "HierarchicalRequirement", {"Name": "deleted story", "ScheduleState": "Defined"},
            project=root.oid, fid=5, deleted=True)
        s.add_links(self.oids["US1"], "Tags", [foo.oid, barbaz.oid])
        s.add_links(self.oids["US2"], "Tags", [gone.oid])
        s.add_links(self.oids["US3"], "Tags", [foo.oid])
        s.add_links(self.oids["US2"], "Predecessors", [self.oids["US1"]])
        tasks = [("TA1", "US1", "In-Progress", False), ("TA2", "US1", "Defined", True),
                 ("TA3", "US2", "Completed", False)]
        for key, story, state, blocked in tasks:
            add(key, "Task", {"Name": key, "WorkProduct": self.oids[story], "State": state, "Blocked": blocked},
                project=root.oid, fid=int(key[2:]))
        add("TA4", "Task", {"Name": "TA4", "WorkProduct": self.oids["US3"], "State": "Defined"},
            project=root.oid, fid=4, deleted=True)
        add("TA5", "Task", {"Name": "TA5", "WorkProduct": self.oids["US12"]}, project=root.oid, fid=5)
        defects = [
            ("DE3", dict(Name="Crash", State="Submitted", Severity="Major Problem", Priority="High Attention",
                         Ready=False, c_JiraKey="SLO-109", Requirement=self.oids["US1"])),
            ("DE22", dict(Name="Typo", State="Open", Severity="Cosmetic", Priority="Low", Ready=True)),
            ("DE7", dict(Name="Henry Hudson and Company", Severity="None", Priority="None", Ready=False)),
        ]
        for key, data in defects:
            add(key, "Defect", data, project=child.oid, fid=int(key[2:]))

    def ids(self, rows: list[Row]) -> list[str]:
        back = {v: k for k, v in self.oids.items()}
        return [back[r.oid] for r in rows]

    def query(self, text: str, type_name: str = "HierarchicalRequirement", order: str | None = None) -> list[str]:
        tdef = SCHEMA.get(type_name)
        assert tdef is not None
        sql, params = COMPILER.where(parse_query(text), tdef)
        types = [t.type_path for t in catalog().concrete(tdef)]
        where = f"({sql}) AND o.deleted = 0 AND o.type IN ({','.join('?' * len(types))})"
        rows = self.store.select(where, [*params, *types], order=COMPILER.order_by(order, tdef))
        return self.ids(rows)


@pytest.fixture(scope="module")
def data() -> Iterator[Data]:
    d = Data()
    yield d
    d.store.close()


STORY_CASES = [
    ("", ["US1", "US2", "US3", "US4", "US12"]),
    ("(ScheduleState = Defined)", ["US1"]),
    ('(ScheduleState = "In-Progress")', ["US2"]),
    ("(ScheduleState != Defined)", ["US2", "US3", "US4", "US12"]),  # null-aware
    ("(ScheduleState = Bogus)", []),
    ("(ScheduleState < Completed)", ["US1", "US2"]),
    ("(ScheduleState >= Completed)", ["US3", "US4"]),
    ("(ScheduleState <= in-progress)", ["US1", "US2"]),
    ("(ScheduleState In Defined,In-Progress)", ["US1", "US2"]),
    ('(ScheduleState in "Defined, Accepted")', ["US1", "US4"]),
    ("(ScheduleState !in Defined,Completed)", ["US2", "US4", "US12"]),
    ("(ScheduleState !in Defined,null)", ["US2", "US3", "US4"]),
    ("(ScheduleState !in null)", ["US1", "US2", "US3", "US4"]),
    ("(ScheduleState in Accepted,null)", ["US4", "US12"]),
    ("(ScheduleState between In-Progress and Completed)", ["US2", "US3"]),
    ("(ScheduleState !between In-Progress and Completed)", ["US1", "US4"]),
    ("(ScheduleState = null)", ["US12"]),
    ("(PlanEstimate > 2)", ["US2", "US3"]),
    ("(PlanEstimate >= 2)", ["US2", "US3", "US12"]),
    ("(PlanEstimate = 5.5)", ["US3"]),
    ('(PlanEstimate = "3")', ["US2"]),
    ("(PlanEstimate != 3)", ["US1", "US3", "US4", "US12"]),
    ("(PlanEstimate between 1 and 3)", ["US1", "US2", "US12"]),
    ("(PlanEstimate !between 1 and 3)", ["US3"]),
    ("(PlanEstimate in 1, 5.5)", ["US1", "US3"]),
    ("(PlanEstimate < -3)", []),
    ("(PlanEstimate < 1e3)", ["US1", "US2", "US3", "US12"]),
    ("(PlanEstimate < 99999999999999999999999)", ["US1", "US2", "US3", "US12"]),
    ("(NumberofCases = 9)", ["US1", "US4"]),
    ("(c_NumberofCases = 9)", ["US1", "US4"]),
    ("(numberofcases < 9)", ["US2"]),
    ("(Name = Delta)", ["US4"]),
    ("(Name = delta)", []),  # = is case-sensitive
    ('(Name = "Beta (and stuff)")', ["US2"]),
    ('(Name contains "ALPHA")', ["US1"]),  # contains is case-insensitive
    ('(Name contains "&")', ["US3"]),
    ('(Name contains "%")', ["US3"]),
    ('(Name contains "_")', []),
    ('(Name contains "#hash")', ["US3"]),
    ('(Name !contains "a")', ["US12"]),
    ("(Name < Delta)", ["US1", "US2"]),
    ("(Name >= epsilon)", ["US3", "US12"]),
    ("(Name in Delta,epsilon)", ["US4", "US12"]),
    ('(Description contains "html")', ["US1"]),
    ('(Description !contains "html")', ["US2", "US3", "US4", "US12"]),
    ("(Blocked = true)", ["US2"]),
    ("(Blocked = FALSE)", ["US1", "US3", "US4", "US12"]),
    ('(Blocked != "True")', ["US1", "US3", "US4", "US12"]),
    ("(FormattedID = US12)", ["US12"]),
    ('(FormattedID = "12")', ["US12"]),
    ("(FormattedID < 4)", ["US1", "US2", "US3"]),
    ("(FormattedID >= us3)", ["US3", "US4", "US12"]),
    ("(FormattedID != US100)", ["US1", "US2", "US3", "US4", "US12"]),
    ("(FormattedID between 2 and 4)", ["US2", "US3", "US4"]),
    ("(FormattedID in US1,US12)", ["US1", "US12"]),
    ("(CreationDate >= 2016-09-30T00:00:00Z)", ["US2", "US3", "US4", "US12"]),
    ("(CreationDate between 2016-09-30T00:00:00Z and 2016-10-04T23:59:59Z)", ["US2"]),
    ("(CreationDate !between 2016-09-30 and 2016-11-01)", ["US1", "US4", "US12"]),
    ("(CreationDate = 2016-10-01)", ["US2"]),
    ("(CreationDate <= 2016-10-01T02:00:00+02:00)", ["US1", "US2"]),
    ("(CreationDate > 2016-10-05T12:00:00.0001Z)", ["US4", "US12"]),
    ("(CreationDate >= today)", ["US12"]),
    ("(CreationDate >= Today-1)", ["US4", "US12"]),
    ("(CreationDate < TODAY+0)", ["US1", "US2", "US3", "US4"]),
    ("(CreationDate > today+3)", []),
    ("(Owner = null)", ["US3", "US12"]),
    ("(Owner != null)", ["US1", "US2", "US4"]),
    ("(Iteration = null)", ["US1", "US2", "US3", "US4", "US12"]),
    ("(Owner = /user/{alice})", ["US1"]),
    ("(Owner = user/{alice})", ["US1"]),
    ("(Owner = https://h:8080/slm/webservice/v2.0/user/{alice})", ["US1"]),
    ("(Owner = {alice})", ["US1"]),
    ("(Owner != /user/{alice})", ["US2", "US3", "US4", "US12"]),
    ("(Owner in /user/{alice},/user/{bob})", ["US1", "US2"]),
    ("(ObjectID = {US3})", ["US3"]),
    ('(Owner.UserName = "alice@x.com")', ["US1"]),
    ('(Owner.UserName = "carol@x.com")', []),  # the owner is deleted
    ('(Owner.UserName != "alice@x.com")', ["US2", "US3", "US4", "US12"]),
    ("(Owner.UserName = null)", ["US3", "US4", "US12"]),
    ("(Owner.Disabled = true)", ["US2"]),
    ('(Owner.UserName = "alice@x.com") OR (Owner = null)', ["US1", "US3", "US12"]),
    ("(Project.Name = Child)", ["US2", "US3"]),
    ("(Project = /project/{root})", ["US1", "US4", "US12"]),
    ("(Project.Parent.Name = Root)", ["US2", "US3"]),
    ("(Project.Parent = null)", ["US1", "US4", "US12"]),
    ("(Project.Parent.Name != Root)", ["US1", "US4", "US12"]),
    ("(Project.Parent.ObjectID = {root})", ["US2", "US3"]),
    ('(Tags.Name contains "BAR")', ["US1"]),
    ('(Tags.Name = "foo")', ["US1", "US3"]),
    ('(Tags.Name = "gone")', []),  # deleted tags never count
    ('(Tags.Name != "foo")', ["US1"]),  # existential: some tag not named foo
    ("(Tags.Name = null)", ["US2", "US4", "US12"]),
    ("(Tags.Name != null)", ["US1", "US3"]),
    ("(Tags = null)", ["US2", "US4", "US12"]),
    ("(Tags != null)", ["US1", "US3"]),
    ('(Tags contains "/tag/{foo}")', ["US1", "US3"]),
    ("(Tags contains tag/{barbaz})", ["US1"]),
    ('(Tags !contains "/tag/{foo}")', ["US2", "US4", "US12"]),
    ("(Tags contains /tag/{gone})", []),
    ("(Tasks.State = Completed)", ["US2"]),
    ("(Tasks.State = Defined)", ["US1"]),  # TA4 (on US3) is deleted
    ("((Tasks.State = In-Progress) AND (Tasks.Blocked = true))", ["US1"]),
    ("(Tasks.Blocked = true)", ["US1"]),
    ("(Tasks.State = null)", ["US3", "US4", "US12"]),  # TA5 has no State
    ("(Tasks.ObjectID != null)", ["US1", "US2", "US12"]),
    ('(Tasks.Name contains "TA")', ["US1", "US2", "US12"]),
    ("(Defects.State = Submitted)", ["US1"]),
    ("(Successors.Name = \"Beta (and stuff)\")", ["US1"]),
    ("(Predecessors.FormattedID = US1)", ["US2"]),
    ("(Successors = null)", ["US2", "US3", "US4", "US12"]),
    ("((ScheduleState = Defined) OR (ScheduleState = Accepted)) AND (NumberofCases = 9)", ["US1", "US4"]),
    ("(ScheduleState = Defined) OR (ScheduleState = Accepted) AND (PlanEstimate = 1)", ["US1"]),
    ("((((Name = Delta) OR (Name = epsilon)) OR (Name = Nope)) OR (Name = \"gamma & #hash 50%\"))",
     ["US3", "US4", "US12"]),
]


@pytest.mark.parametrize(("query", "expected"), STORY_CASES)
def test_story_queries(data: Data, query: str, expected: list[str]) -> None:
    text = query.format(**data.oids)
    assert sorted(data.query(text)) == sorted(expected)


@pytest.mark.parametrize(("type_name", "query", "expected"), [
    ("Defect", "(State = Submitted)", ["DE3"]),
    ("Defect", "(State != Open)", ["DE3", "DE7"]),
    ("Defect", '(Severity <= "Major Problem")', ["DE3", "DE7"]),
    ("Defect", '(Severity > "Major Problem")', ["DE22"]),
    ("Defect", "(Priority = \"High Attention\")", ["DE3"]),
    ("Defect", "((State = Submitted) AND ((FormattedID != DE100) AND (Severity != UltraMegaHurt)))", ["DE3"]),
    ("Defect", "((State = Submitted) AND (FormattedID < DE22))", ["DE3"]),
    ("Defect", "(Ready = False)", ["DE3", "DE7"]),
    ("Defect", "(JiraKey = SLO-109)", ["DE3"]),
    ("Defect", '(Name !contains "Henry Hudson and Company")', ["DE3", "DE22"]),
    ("Defect", "(Requirement.FormattedID = US1)", ["DE3"]),
    ("Defect", "(Requirement.Tags.Name = foo)", ["DE3"]),
    # a null reference gives a null leaf, for a collection too: defects without a Requirement
    ("Defect", "(Requirement.Tags = null)", ["DE22", "DE7"]),
    ("Defect", "(Requirement.Tags != null)", ["DE3"]),
    ("Task", "(WorkProduct.Name = \"Alpha login\")", ["TA1", "TA2"]),
    ("Task", "(WorkProduct.Owner.UserName = \"bob@x.com\")", ["TA3"]),
    ("Task", "(State = null)", ["TA5"]),
    ("Task", "(State > Completed)", ["TA1", "TA2"]),  # a STRING value list compares as text
    ("User", "(UserName = \"bob@x.com\")", ["bob"]),
    ("User", "(Disabled = true)", ["bob"]),
    ("Project", "(Parent = null)", ["root"]),
    ("Project", "(Children.Name = Child)", ["root"]),
    ("Project", "(State = Open)", ["root", "child"]),
    ("Artifact", "(Name contains \"a\")", ["US1", "US2", "US3", "US4", "DE3", "DE7", "TA1", "TA2",
                                          "TA3", "TA5"]),
])
def test_other_types(data: Data, type_name: str, query: str, expected: list[str]) -> None:
    assert sorted(data.query(query, type_name)) == sorted(expected)


@pytest.mark.parametrize(("order", "expected"), [
    (None, ["US1", "US2", "US3", "US4", "US12"]),
    ("Rank", ["US12", "US3", "US1", "US4", "US2"]),
    ("Rank ASC", ["US12", "US3", "US1", "US4", "US2"]),
    ("DragAndDropRank desc", ["US2", "US4", "US1", "US3", "US12"]),
    ("FormattedID desc", ["US12", "US4", "US3", "US2", "US1"]),
    ("ScheduleState DESC,FormattedID", ["US4", "US3", "US2", "US1", "US12"]),
    ("PlanEstimate, Name desc", ["US4", "US1", "US12", "US2", "US3"]),
    ("Project.Name,FormattedID DESC", ["US3", "US2", "US12", "US4", "US1"]),
    ("Project.Parent.Name desc, ObjectID", ["US2", "US3", "US1", "US4", "US12"]),
    ("ObjectID DESC", ["US12", "US4", "US3", "US2", "US1"]),
    ("Owner.UserName, FormattedID", ["US3", "US4", "US12", "US1", "US2"]),
    ("CreationDate desc", ["US12", "US4", "US3", "US2", "US1"]),
    ("NumberofCases,FormattedID", ["US3", "US12", "US2", "US1", "US4"]),
    ("Name,", ["US1", "US2", "US4", "US12", "US3"]),
])
def test_order(data: Data, order: str | None, expected: list[str]) -> None:
    assert data.query("", order=order) == expected


def test_order_by_sql_shape() -> None:
    tdef = _type("HierarchicalRequirement")
    assert COMPILER.order_by(None, tdef) == "o.oid ASC"
    assert COMPILER.order_by("Rank asc", tdef, alias="x") == "x.rank ASC, x.oid ASC"
    assert COMPILER.order_by("FormattedID Desc,ObjectID", tdef) == "o.fid DESC, o.oid ASC"
    assert COMPILER.order_by("Project.ObjectID", tdef).endswith(", o.oid ASC")


@pytest.mark.parametrize(("order", "message"), [
    ("Invalid Order", "Cannot sort using unknown attribute Invalid"),
    ("Bogus", "Cannot sort using unknown attribute Bogus"),
    ("Tags", "Cannot sort using unknown attribute Tags"),
    ("Tasks.Name", "Cannot sort using unknown attribute Tasks.Name"),
    ("Name.Foo", "Cannot sort using unknown attribute Name.Foo"),
    ("Project.Nope", "Cannot sort using unknown attribute Project.Nope"),
    ("Name sideways", "Cannot sort using unknown sort direction sideways"),
])
def test_order_errors(order: str, message: str) -> None:
    with pytest.raises(QueryError) as info:
        COMPILER.order_by(order, _type("HierarchicalRequirement"))
    assert info.value.message == message


@pytest.mark.parametrize(("type_name", "query", "message"), [
    ("TestCaseResult", "(FormattedID = TC1)",
     'Could not parse: Could not find attribute "FormattedID" on type TestCaseResult in the query segment'
     ' "FormattedID"'),
    ("HierarchicalRequirement", "(Owner.Bogus = 1)",
     'Could not parse: Could not find attribute "Bogus" on type User in the query segment "Owner.Bogus"'),
    ("HierarchicalRequirement", "(CreationDate > 2017-04-29 20:23:51.188960)",
     'Could not parse: Error parsing expression -- expected ")" but saw "20:23:51.188960" instead.'),
    ("HierarchicalRequirement", '(CreationDate > "2017-04-29 20:23:51.188960")',
     'Could not parse: Cannot convert "2017-04-29 20:23:51.188960" into a date.  You must use the ISO8601'
     ' date+time format.'),
    ("HierarchicalRequirement", "(CreationDate > 2017-02-30)",
     'Could not parse: Cannot convert "2017-02-30" into a date.  You must use the ISO8601 date+time format.'),
    ("HierarchicalRequirement", "(CreationDate > yesterday)",
     'Could not parse: Cannot convert "yesterday" into a date.  You must use the ISO8601 date+time format.'),
    ("HierarchicalRequirement", "(CreationDate > today+9999999)",
     'Could not parse: Cannot convert "today+9999999" into a date.  You must use the ISO8601 date+time format.'),
    ("HierarchicalRequirement", "(PlanEstimate > lots)",
     'Could not parse: Cannot convert "lots" into a number for attribute PlanEstimate.'),
    ("HierarchicalRequirement", "(Blocked = maybe)",
     'Could not parse: Cannot convert "maybe" into a boolean (use true or false).'),
    ("HierarchicalRequirement", "(Owner = InfinityDrain)",
     'Could not parse: Cannot parse object reference from "InfinityDrain"'),
    ("HierarchicalRequirement", "(FormattedID = US-1)", 'Could not parse: Cannot convert "US-1" into a FormattedID.'),
    ("HierarchicalRequirement", "(Description = x)",
     'Could not parse: Operator "=" cannot be used with attribute "Description" of type TEXT in the query'
     ' segment "Description"'),
    ("HierarchicalRequirement", "(Owner contains x)",
     'Could not parse: Operator "contains" cannot be used with attribute "Owner" of type OBJECT in the query'
     ' segment "Owner"'),
    ("HierarchicalRequirement", "(Tags contains foo)", 'Could not parse: Cannot parse object reference from "foo"'),
    ("HierarchicalRequirement", "(ScheduleState < Bogus)",
     'Could not parse: "Bogus" is not a valid value for ScheduleState.  Valid values are: Defined, In-Progress,'
     ' Completed, Accepted'),
    ("HierarchicalRequirement", "(Name.Foo = x)",
     'Could not parse: Could not find attribute "Foo" on type Name in the query segment "Name.Foo"'),
    ("HierarchicalRequirement", "(PlanEstimate < null)",
     'Could not parse: Operator "<" cannot be used with null for attribute "PlanEstimate"'),
    ("PortfolioItem/Feature", "(Children.Name = x)",
     'Could not parse: Cannot query on the collection attribute "Children" of type Feature in the query'
     ' segment "Children.Name"'),
])
def test_compile_errors(type_name: str, query: str, message: str) -> None:
    with pytest.raises(QueryError) as info:
        COMPILER.where(parse_query(query), _type(type_name))
    assert info.value.message == message


def test_none_and_sql_shape_uses_store_expressions() -> None:
    tdef = _type("HierarchicalRequirement")
    assert COMPILER.where(None, tdef) == ("1", [])
    sql, params = COMPILER.where(parse_query("(ScheduleState < Completed)"), tdef)
    assert sql == "json_extract(o.data, '$.\"ScheduleState\"') IN (?,?)"
    assert params == ["Defined", "In-Progress"]
    sql, params = COMPILER.where(parse_query("(FormattedID = US12)"), tdef, alias="x")
    assert (sql, params) == ("x.fid = ?", [12])
    sql, params = COMPILER.where(parse_query("(CreationDate > 2016-09-30)"), tdef)
    assert (sql, params) == ("o.created > ?", ["2016-09-30T00:00:00.000Z"])


def test_long_chains_compile_to_shallow_sql(data: Data) -> None:
    ors = " OR ".join(f"(FormattedID = US{n})" for n in range(1, 400))
    assert sorted(data.query(ors)) == ["US1", "US12", "US2", "US3", "US4"]
    alternating = "".join(f"(Name != x{n}) {'AND' if n % 2 else 'OR'} " for n in range(150)) + "(Name = Delta)"
    with pytest.raises(QueryError):
        data.query(alternating)


def _type(name: str) -> TypeDef:
    tdef = SCHEMA.get(name)
    assert tdef is not None
    return tdef


# -- property tests -------------------------------------------------------------------------

HR = _type("HierarchicalRequirement")
PATH_ATTRS = [a.name for a in HR.attrs] + ["Owner.UserName", "Owner.Disabled", "Project.Parent.Name",
                                          "Tags.Name", "Tasks.State", "Tasks.Owner.UserName", "Successors.Name",
                                          "Defects.Severity", "Iteration.StartDate", "NumberofCases",
                                          "Release.ObjectID", "Bogus", "Owner.Bogus"]
NASTY = st.text(st.characters(exclude_characters='"', exclude_categories=["Cs"]), max_size=12)
VALUES = st.one_of(
    st.sampled_from(["null", "true", "False", "today", "today+3", "Today-7", "2016-09-30", "2016-09-30T00:00:00Z",
                     "2016-10-04T23:59:59.5+05:30", "US12", "12", "-3", "2.5", "1e400", "/project/1",
                     "https://h:8080/slm/webservice/v2.0/user/123", "Defined", "In-Progress", "Accepted",
                     "99999999999999999999999999", "x'y", "%_", "a,b"]),
    NASTY.map(lambda s: f'"{s}"'),
)
OPS = st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "contains", "!contains", "in", "!in", "between",
                       "!between", "zobolts"])


def _leaf_attr(path: str) -> AttrDef | None:
    tdef: TypeDef | None = HR
    segs = path.split(".")
    for seg in segs[:-1]:
        attr = tdef.attr(seg) if tdef else None
        if attr is None:
            return None
        tdef = SCHEMA.get((attr.collection.child if attr.collection else attr.target) or "")
    return tdef.attr(segs[-1]) if tdef else None


def _typed_values(attr: AttrDef) -> st.SearchStrategy[str]:
    kind = QueryCompiler._kind(attr)
    if kind == "rating":
        return st.sampled_from([*(attr.allowed or ()), "Bogus"]).map(lambda v: f'"{v}"')
    samples = {
        "fid": ["US12", "12", '"DE3"', "0", "99999999999999999999999"],
        "num": ["0", "-3", "2.5", "9", "1e400", '"7"', "99999999999999999999999"],
        "date": ["today", "today+3", "Today-7", "2016-09-30", "2016-09-30T00:00:00Z", "2024-01-09T23:59:59.999Z",
                 "2016-10-04T23:59:59.5+05:30", "0001-01-01T00:00:00+01:00"],
        "bool": ["true", "False", '"TRUE"'],
        "ref": ["/user/1", "project/100000001", "https://h:8080/slm/webservice/v2.0/user/123", "42"],
        "coll": ["/tag/1", '"tag/100000007"'],
    }.get(kind)
    if samples is None:
        return NASTY.map(lambda s: f'"{s}"')
    return st.sampled_from(samples)


@st.composite
def condition_text(draw: st.DrawFn) -> str:
    path = draw(st.sampled_from(PATH_ATTRS))
    attr = _leaf_attr(path)
    typed = attr is not None and draw(st.integers(0, 9)) > 0
    if typed:
        assert attr is not None
        kind = QueryCompiler._kind(attr)
        op = draw(st.sampled_from([*ALLOWED_OPS[kind], "=", "!="]))
        values = st.one_of(_typed_values(attr), st.just("null")) if op in ("=", "!=", "in", "!in") \
            else _typed_values(attr)
    else:
        op, values = draw(OPS), VALUES
    if op.endswith("between"):
        return f"{path} {op} {draw(values)} and {draw(values)}"
    if op.endswith("in"):
        return f"{path} {op} " + ",".join(draw(st.lists(values, min_size=1, max_size=3)))
    return f"{path} {op} {draw(values)}"


@st.composite
def query_text(draw: st.DrawFn, depth: int = 0) -> str:
    if depth >= 3 or draw(st.booleans()):
        return f"({draw(condition_text())})"
    op = draw(st.sampled_from(["AND", "OR"]))
    return f"({draw(query_text(depth + 1))} {op} {draw(query_text(depth + 1))})"


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(query_text(), st.text(max_size=40)))
def test_compiled_sql_always_executes(data: Data, text: str) -> None:
    try:
        node = parse_query(text)
        sql, params = COMPILER.where(node, HR)
    except QueryError as exc:
        assert exc.message.startswith("Could not parse: ")
        return
    try:
        data.store.select(f"({sql}) AND o.deleted = 0", params)
    except sqlite3.Error as exc:  # pragma: no cover - a failure report
        pytest.fail(f"{text!r} -> {sql!r} {params!r}: {exc}")


# Reference evaluator: the documented semantics in plain Python, for single-attribute conditions.
STATES = ("Defined", "In-Progress", "Completed", "Accepted")
REF_ATTRS: dict[str, tuple[list[str], Callable[[str], Any]]] = {
    "ScheduleState": ([*STATES, "Bogus"], str),
    "PlanEstimate": (["0", "1", "2", "3", "5.5", "-1"], float),
    "NumberofCases": (["4", "9", "10"], int),
    "Name": (["Delta", "epsilon", "Alpha login", "a", "TA", "&", "Beta (and stuff)"], str),
    "FormattedID": (["US1", "2", "US3", "12", "us4"], lambda v: int(v.lstrip("USus"))),
    "CreationDate": (["2016-09-29T10:00:00.000Z", "2016-10-01T00:00:00.000Z", "2024-01-10T00:00:00.000Z"], str),
    "Blocked": (["true", "false"], lambda v: v == "true"),
}


def _stored(row: Row, attr: str) -> Any:
    if attr == "NumberofCases":
        return row.data.get("c_NumberofCases")
    if attr == "FormattedID":
        return row.fid
    if attr == "CreationDate":
        return row.created
    return row.data.get(attr)


def _reference(row: Row, cond: tuple[str, str, list[str]]) -> bool:
    attr, op, raw = cond
    convert = REF_ATTRS[attr][1]
    v = _stored(row, attr)
    xs = [convert(r) for r in raw]
    key: Callable[[Any], Any] = (lambda s: STATES.index(s)) if attr == "ScheduleState" else (lambda s: s)
    if op == "=":
        return v is not None and v == xs[0]
    if op == "!=":
        return not (v is not None and v == xs[0])
    if op == "in":
        return v is not None and v in xs
    if op == "!in":
        return v is None or v not in xs
    if op == "contains":
        return v is not None and xs[0].lower() in v.lower()
    if op == "!contains":
        return v is None or xs[0].lower() not in v.lower()
    if v is None:
        return False
    if op in ("between", "!between"):
        inside = key(xs[0]) <= key(v) <= key(xs[1])
        return inside if op == "between" else not inside
    return {"<": key(v) < key(xs[0]), "<=": key(v) <= key(xs[0]), ">": key(v) > key(xs[0]),
            ">=": key(v) >= key(xs[0])}[op]


@st.composite
def ref_condition(draw: st.DrawFn) -> tuple[str, tuple[str, str, list[str]]]:
    attr = draw(st.sampled_from(sorted(REF_ATTRS)))
    values = REF_ATTRS[attr][0]
    ops = ["=", "!=", "in", "!in"]
    if attr == "Name":
        ops += ["contains", "!contains", "<", ">=", "between"]
    elif attr != "Blocked":
        ops += ["<", "<=", ">", ">=", "between", "!between"]
    op = draw(st.sampled_from(ops))
    if attr == "ScheduleState" and op not in ("=", "!=", "in", "!in"):
        values = list(STATES)
    if op in ("between", "!between"):
        raw = [draw(st.sampled_from(values)), draw(st.sampled_from(values))]
        text = f'{attr} {op} "{raw[0]}" and "{raw[1]}"'
    elif op in ("in", "!in"):
        raw = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3))
        text = f"{attr} {op} " + ",".join(f'"{r}"' for r in raw)
    else:
        raw = [draw(st.sampled_from(values))]
        text = f'{attr} {op} "{raw[0]}"'
    return text, (attr, op, raw)


@st.composite
def ref_tree(draw: st.DrawFn, depth: int = 0) -> tuple[str, Callable[[Row], bool]]:
    if depth >= 2 or draw(st.booleans()):
        text, cond = draw(ref_condition())
        return f"({text})", lambda row: _reference(row, cond)
    (lt, lf), (rt, rf) = draw(ref_tree(depth + 1)), draw(ref_tree(depth + 1))
    if draw(st.booleans()):
        return f"({lt} AND {rt})", lambda row: lf(row) and rf(row)
    return f"({lt} OR {rt})", lambda row: lf(row) or rf(row)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ref_tree())
def test_matches_reference_evaluator(data: Data, tree: tuple[str, Callable[[Row], bool]]) -> None:
    text, predicate = tree
    rows = data.store.select("o.deleted = 0 AND o.type = ?", ["HierarchicalRequirement"])
    expected = sorted(data.ids([r for r in rows if predicate(r)]))
    assert sorted(data.query(text)) == expected, text


def test_or_chains_of_equalities_compile_to_one_in_list() -> None:
    from pyral.emulator.query_compiler import _merge_equalities
    from pyral.emulator.query_parser import parse_query

    node = parse_query('((((WorkProduct = /hierarchicalrequirement/1) OR (WorkProduct = /defect/2)) '
                       'OR (Name = "x")) OR (workproduct = "/hierarchicalrequirement/3"))')
    merged = _merge_equalities(node)
    assert str(merged).count("Condition") == 2
    leaves = [merged.right, merged.left] if hasattr(merged, "left") else [merged]
    ins = [leaf for leaf in leaves if getattr(leaf, "op", "") == "in"]
    assert len(ins) == 1 and [v.raw for v in ins[0].value.items] == [
        "/hierarchicalrequirement/1", "/defect/2", "/hierarchicalrequirement/3"]
    untouched = parse_query("((Name = a) AND (Name = b))")
    assert _merge_equalities(untouched) == untouched


@pytest.mark.parametrize("projects", [None, ["root"], ["root", "child"]])
def test_name_contains_counts_from_an_index_with_or_without_project_scope(data: Data, projects: list[str] | None
                                                                          ) -> None:
    """A query's count (``Name contains``, the commonest filter) reads one index only, whether or
    not ``project=`` limits it: scoping must not make the emulator read every matching row."""
    tdef = SCHEMA.get("HierarchicalRequirement")
    assert tdef is not None
    sql, params = COMPILER.where(parse_query('(Name contains "a")'), tdef)
    clauses, args = ["o.type IN (?)", "o.deleted = 0", "o.workspace IS ?"], ["HierarchicalRequirement", WS]
    if projects is not None:
        clauses.append(f"o.project IN ({','.join('?' * len(projects))})")
        args += [data.oids[p] for p in projects]
    where = " AND ".join([*clauses, "1", f"({sql})"])
    plan = " ".join(str(r[3]) for r in data.store.execute(f"EXPLAIN QUERY PLAN SELECT count(*) FROM objects o"
                                                          f" WHERE {where}", [*args, *params]))
    assert "COVERING INDEX" in plan, plan
    expected = sorted(data.query('(Name contains "a")'))
    if projects is not None:
        expected = [k for k in expected if data.store.get(data.oids[k]).project in {data.oids[p] for p in projects}]
    assert data.store.count(where, [*args, *params]) == len(expected)
