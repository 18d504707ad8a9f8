"""Parser tests: the decoded forms real clients send, error texts, and property tests."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyral.emulator.query_parser import MAX_DEPTH, BoolOp, Condition, Node, QueryError, Value, parse_query


def c(path: str, op: str, raw: str, quoted: bool = False) -> Condition:
    return Condition(tuple(path.split(".")), op, Value(raw, quoted))


def AND(left: Node, right: Node) -> BoolOp:
    return BoolOp("AND", left, right)


def OR(left: Node, right: Node) -> BoolOp:
    return BoolOp("OR", left, right)


# What the server receives (after one URL-decode) for every row of compat §5.1's table.
DECODED_TABLE = [
    ('(State = "Submitted")', c("State", "=", "Submitted", True)),
    ("(State = Submitted)", c("State", "=", "Submitted")),
    ("((State = Submitted) AND (FormattedID != US100))",
     AND(c("State", "=", "Submitted"), c("FormattedID", "!=", "US100"))),
    ("((State = Submitted) AND ((FormattedID != DE100) AND (Severity != UltraMegaHurt)))",
     AND(c("State", "=", "Submitted"), AND(c("FormattedID", "!=", "DE100"),
                                          c("Severity", "!=", "UltraMegaHurt")))),
    ("((BugzillaID = 7224) AND ((JiraKey = SLO-109) AND (QCDefectID = 5724)))",
     AND(c("BugzillaID", "=", "7224"), AND(c("JiraKey", "=", "SLO-109"), c("QCDefectID", "=", "5724")))),
    ('(Project.Name = "Operations and Support Group")',
     c("Project.Name", "=", "Operations and Support Group", True)),
    ('((State != Open) AND (Name !contains "Henry Hudson and Company"))',
     AND(c("State", "!=", "Open"), c("Name", "!contains", "Henry Hudson and Company", True))),
    ('(Name = "8.5 (Blah and Stuff)")', c("Name", "=", "8.5 (Blah and Stuff)", True)),
    ('(Name contains "&")', c("Name", "contains", "&", True)),
    ('((ScheduleState != "Defined") AND (ScheduleState != "Completed"))',
     AND(c("ScheduleState", "!=", "Defined", True), c("ScheduleState", "!=", "Completed", True))),
    ("((CreationDate >= 2016-09-30T00:00:00Z) AND (CreationDate <= 2016-10-04T23:59:59Z))",
     AND(c("CreationDate", ">=", "2016-09-30T00:00:00Z"), c("CreationDate", "<=", "2016-10-04T23:59:59Z"))),
    ("((CreationDate < 2016-09-30) OR (CreationDate > 2016-11-01))",
     OR(c("CreationDate", "<", "2016-09-30"), c("CreationDate", ">", "2016-11-01"))),
    ('((PlanEstimate > 2) AND (((ScheduleState != "Defined") AND (ScheduleState != "Completed"))'
     ' AND (Name !contains "oo")))',
     AND(c("PlanEstimate", ">", "2"),
         AND(AND(c("ScheduleState", "!=", "Defined", True), c("ScheduleState", "!=", "Completed", True)),
             c("Name", "!contains", "oo", True)))),
    ('((Owner.UserName = "x@y.com") OR (Owner = null))',
     OR(c("Owner.UserName", "=", "x@y.com", True), c("Owner", "=", "null"))),
    ('((Name = "Corral") AND (Parent = https://h/slm/webservice/v2.0/project/123))',
     AND(c("Name", "=", "Corral", True), c("Parent", "=", "https://h/slm/webservice/v2.0/project/123"))),
]


@pytest.mark.parametrize(("text", "expected"), DECODED_TABLE)
def test_decoded_pyral_encodings(text: str, expected: Node) -> None:
    assert parse_query(text) == expected


# Conditions from upstream's test_query.py and friends (compat §11), each sent wrapped in (...).
UPSTREAM_CONDITIONS = [
    ('State = "Submitted"', c("State", "=", "Submitted", True)),
    ("State != Open", c("State", "!=", "Open")),
    ("FormattedID < DE22", c("FormattedID", "<", "DE22")),
    ("Resolution != Architecture", c("Resolution", "!=", "Architecture")),
    ('Priority = "High Attention"', c("Priority", "=", "High Attention", True)),
    ("Severity != Cosmetic", c("Severity", "!=", "Cosmetic")),
    ("Ready = False", c("Ready", "=", "False")),
    ("NumberofCases = 9", c("NumberofCases", "=", "9")),
    ('AffectedCustomers = "abc, xyz"', c("AffectedCustomers", "=", "abc, xyz", True)),
    ("Iteration = null", c("Iteration", "=", "null")),
    ("Project != null", c("Project", "!=", "null")),
    ("Name contains with", c("Name", "contains", "with")),
    ("Build = 27", c("Build", "=", "27")),
    ("TestCase = testcase/123", c("TestCase", "=", "testcase/123")),
    ("CreationDate >= 2023-07-01T08:00:00Z", c("CreationDate", ">=", "2023-07-01T08:00:00Z")),
    ("ObjectID = 123", c("ObjectID", "=", "123")),
    ("FormattedID = F1", c("FormattedID", "=", "F1")),
    ('FormattedID = "E876"', c("FormattedID", "=", "E876", True)),
    ("FormattedID >= DE60", c("FormattedID", ">=", "DE60")),
    ('Name = "Gone but not forgotten with the wind"', c("Name", "=", "Gone but not forgotten with the wind", True)),
    ('Name = "distinctive criteria of -32% degradation in rust protection"',
     c("Name", "=", "distinctive criteria of -32% degradation in rust protection", True)),
    ('Name = "Looking for the #blowback hashtag"', c("Name", "=", "Looking for the #blowback hashtag", True)),
    ('Name = "Special chars:/!@#$%^*-=+[]{};:,.<>? in the name field"',
     c("Name", "=", "Special chars:/!@#$%^*-=+[]{};:,.<>? in the name field", True)),
    ("Disabled = true", c("Disabled", "=", "true")),
    ("PlanEstimate > 2.5", c("PlanEstimate", ">", "2.5")),
    ("c_Offset > -3", c("c_Offset", ">", "-3")),
    ("Parent = /project/1", c("Parent", "=", "/project/1")),
    ("Parent = project/1", c("Parent", "=", "project/1")),
    ("Parent = https://h:8080/slm/webservice/v2.0/project/123",
     c("Parent", "=", "https://h:8080/slm/webservice/v2.0/project/123")),
    ("Iteration.StartDate > Today+3", c("Iteration.StartDate", ">", "Today+3")),
    ("Iteration.StartDate <= today", c("Iteration.StartDate", "<=", "today")),
    ("Project.Parent.Name = Root", c("Project.Parent.Name", "=", "Root")),
    ('Tags.Name contains "x"', c("Tags.Name", "contains", "x", True)),
    ('Tags contains "/tag/5"', c("Tags", "contains", "/tag/5", True)),
    ("TypeDef.Name = Feature", c("TypeDef.Name", "=", "Feature")),
    ("Release.ObjectID = null", c("Release.ObjectID", "=", "null")),
    ("UserName = \"x@y.com\"", c("UserName", "=", "x@y.com", True)),
]


@pytest.mark.parametrize(("text", "expected"), UPSTREAM_CONDITIONS)
def test_upstream_conditions(text: str, expected: Node) -> None:
    assert parse_query(f"({text})") == expected
    assert parse_query(text) == expected


@pytest.mark.parametrize("char", list("/!@#$%^*_-+=?{}[]:;,.<>&()~|\\'"))
def test_special_characters_inside_quotes(char: str) -> None:
    assert parse_query(f'(Name contains "{char}")') == c("Name", "contains", char, True)


def test_quoted_values_hold_anything_but_a_quote() -> None:
    text = '(Name = "a) AND (b = c" )'
    assert parse_query(text) == c("Name", "=", "a) AND (b = c", True)
    assert parse_query('(Name = "")') == c("Name", "=", "", True)
    assert parse_query('Name = "line\nbreak, ünï"') == c("Name", "=", "line\nbreak, ünï", True)


def test_empty_queries() -> None:
    assert parse_query("") is None
    assert parse_query("   \t") is None


def test_in_lists() -> None:
    items = (Value("Defined"), Value("In-Progress"))
    for text in ("(ScheduleState In Defined,In-Progress)", "(ScheduleState in Defined, In-Progress)",
                 "ScheduleState IN Defined ,  In-Progress"):
        node = parse_query(text)
        assert isinstance(node, Condition)
        assert (node.path, node.op, node.value.items) == (("ScheduleState",), "in", items)
    node = parse_query('(ScheduleState in "Defined,In-Progress")')
    assert isinstance(node, Condition)
    assert node.value.items == (Value("Defined", True), Value("In-Progress", True))
    node = parse_query('(Name !in "a b", c)')
    assert isinstance(node, Condition)
    assert node.op == "!in"
    assert node.value.items == (Value("a b", True), Value("c"))


def test_between() -> None:
    node = parse_query("(CreationDate between 2016-09-30T00:00:00Z and 2016-10-04T23:59:59Z)")
    assert isinstance(node, Condition)
    assert node.op == "between"
    assert node.value.pair == (Value("2016-09-30T00:00:00Z"), Value("2016-10-04T23:59:59Z"))
    node = parse_query('(Name !BETWEEN "a and b" AND "c")')
    assert isinstance(node, Condition)
    assert node.op == "!between"
    assert node.value.pair == (Value("a and b", True), Value("c", True))


def test_conjunctions_case_spacing_and_flat_chains() -> None:
    a, b, cc = c("A", "=", "1"), c("B", "=", "2"), c("C", "=", "3")
    assert parse_query("((A = 1)AND(B = 2))") == AND(a, b)
    assert parse_query("(A = 1) and (B = 2)") == AND(a, b)
    assert parse_query("(A = 1) Or (B = 2)") == OR(a, b)
    assert parse_query("(A = 1) AND (B = 2) AND (C = 3)") == AND(AND(a, b), cc)
    assert parse_query("(A = 1) AND (B = 2) OR (C = 3)") == OR(AND(a, b), cc)
    assert parse_query("(((A = 1)) OR ((B = 2) AND (C = 3)))") == OR(a, AND(b, cc))
    assert parse_query("  ( ( A = 1 ) )  ") == a


def test_operators_are_case_insensitive_keywords() -> None:
    assert parse_query("(Name CONTAINS x)") == c("Name", "contains", "x")
    assert parse_query("(Name !Contains x)") == c("Name", "!contains", "x")
    assert parse_query("(Name=x)") == c("Name", "=", "x")
    assert parse_query("(Estimate>=3)") == c("Estimate", ">=", "3")


@pytest.mark.parametrize(("text", "message"), [
    ("(Name zobolts 9)", 'Could not parse: Unknown operator "zobolts"'),
    ("(Name == 9)", 'Could not parse: Unknown operator "=="'),
    ("(Name =< 9)", 'Could not parse: Unknown operator "=<"'),
    ("(ScheduleState In-Progress)", 'Could not parse: Unknown operator "In-Progress"'),
    ("(A = 1 AND B = 2)", 'Could not parse: Error parsing expression -- expected ")" but saw "AND" instead.'),
    ("((A = 1) AND (B = 2)", 'Could not parse: Error parsing expression -- expected ")" but saw end of query instead.'),
    ("(A = 1))", 'Could not parse: Error parsing expression -- expected end of query but saw ")" instead.'),
    ("A = 1 OR B = 2", 'Could not parse: Error parsing expression -- expected end of query but saw "OR" instead.'),
    ("(A = 1) AND B = 2", 'Could not parse: Error parsing expression -- expected "(" but saw "B" instead.'),
    ("(A = 1) XOR (B = 2)", 'Could not parse: Error parsing expression -- expected end of query but saw "XOR" instead.'),
    ("()", 'Could not parse: Error parsing expression -- expected an attribute name but saw ")" instead.'),
    ("(Name)", 'Could not parse: Error parsing expression -- expected an operator but saw ")" instead.'),
    ("(Name = )", 'Could not parse: Error parsing expression -- expected a value but saw ")" instead.'),
    ('(Name = "open', "Could not parse: Error parsing expression -- expected a closing '\"' but saw end of query instead."),
    ("(Name = a b)", 'Could not parse: Error parsing expression -- expected ")" but saw "b" instead.'),
    ("(A..B = 1)", 'Could not parse: Error parsing expression -- invalid attribute path "A..B".'),
    ("(X between 1 or 2)", 'Could not parse: Error parsing expression -- expected "and" but saw "or" instead.'),
    ("(X in a,)", 'Could not parse: Error parsing expression -- expected a value but saw ")" instead.'),
])
def test_errors(text: str, message: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_query(text)
    assert info.value.message == message
    assert str(info.value) == message


def test_nesting_and_size_limits_raise_query_error() -> None:
    deep = "(" * (MAX_DEPTH + 5) + "A = 1" + ")" * (MAX_DEPTH + 5)
    with pytest.raises(QueryError):
        parse_query(deep)
    assert parse_query("(" * 20 + "A = 1" + ")" * 20) == c("A", "=", "1")
    with pytest.raises(QueryError):
        parse_query(" AND ".join(["(A = 1)"] * 600))
    with pytest.raises(QueryError):
        parse_query("(" * 100_000)


# -- property tests -------------------------------------------------------------------------

NAMES = st.sampled_from(["Name", "ScheduleState", "Owner.UserName", "Tags.Name", "c_NumberofCases",
                         "Project.Parent.Name", "FormattedID", "x", "A_1"])
BARE = st.from_regex(r"[A-Za-z0-9_./:+@#%&*-]{1,12}", fullmatch=True)
QUOTED_TEXT = st.text(st.characters(exclude_characters='"', exclude_categories=["Cs"]), max_size=15)
VALUE = st.one_of(BARE.map(lambda s: Value(s)), QUOTED_TEXT.map(lambda s: Value(s, True)))
LIST_ITEM = st.one_of(BARE.filter(lambda s: "," not in s).map(lambda s: Value(s)),
                      QUOTED_TEXT.filter(lambda s: "," not in s).map(lambda s: Value(s, True)))
SPACE = st.sampled_from([" ", "  ", "\t", "\n "])


@st.composite
def conditions(draw: st.DrawFn) -> tuple[str, tuple[object, ...]]:
    """(text, normalised expected form)."""
    path = draw(NAMES)
    sp = draw(SPACE)
    kind = draw(st.sampled_from(["plain", "in", "between"]))

    def show(v: Value) -> str:
        return f'"{v.raw}"' if v.quoted else v.raw

    if kind == "in":
        items = draw(st.lists(LIST_ITEM, min_size=1, max_size=4))
        if len(items) == 1 and items[0].quoted and "," in items[0].raw:
            items = [items[0]]
        op = draw(st.sampled_from(["in", "IN", "!in", "In"]))
        text = f"{path}{sp}{op}{sp}" + draw(st.sampled_from([",", ", ", " , "])).join(show(v) for v in items)
        return text, (path, op.lower(), tuple(items))
    if kind == "between":
        low, high = draw(VALUE), draw(VALUE)
        op = draw(st.sampled_from(["between", "!between", "BETWEEN"]))
        conj = draw(st.sampled_from(["and", "AND", "And"]))
        return f"{path}{sp}{op}{sp}{show(low)} {conj} {show(high)}", (path, op.lower(), (low, high))
    op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "contains", "!contains", "Contains"]))
    value = draw(VALUE)
    return f"{path}{sp}{op}{sp}{show(value)}", (path, op.lower(), value)


def _norm(node: Node | None) -> object:
    if isinstance(node, BoolOp):
        return (node.op, _norm(node.left), _norm(node.right))
    assert isinstance(node, Condition)
    v = node.value
    rhs: object = v.items if node.op.endswith("in") else v.pair if node.op.endswith("between") else v
    return (node.path_text, node.op, rhs)


@st.composite
def trees(draw: st.DrawFn, depth: int = 0) -> tuple[str, object]:
    if depth >= 3 or draw(st.booleans()):
        return draw(conditions())
    left_text, left = draw(trees(depth + 1))
    right_text, right = draw(trees(depth + 1))
    op = draw(st.sampled_from(["AND", "OR", "and", "Or"]))
    sp = draw(st.sampled_from(["", " ", "  "]))
    return f"({left_text}){sp}{op}{sp or ' '}({right_text})", (op.upper(), left, right)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees(), st.booleans())
def test_round_trip_of_generated_queries(tree: tuple[str, object], wrap: bool) -> None:
    text, expected = tree
    if wrap:
        text = f"({text})"
    assert _norm(parse_query(text)) == expected


QUERYISH = st.text(st.sampled_from(list('()"=!<> \tandorANDOR,.xyz19-/inbetweencontains')), max_size=60)


@settings(max_examples=600, deadline=None)
@given(st.one_of(st.text(max_size=80), QUERYISH, trees().map(lambda t: t[0])),
       st.integers(min_value=0, max_value=100))
def test_parser_only_raises_query_error(text: str, cut: int) -> None:
    for candidate in (text, text[:cut], text[cut:]):
        try:
            parse_query(candidate)
        except QueryError as exc:
            assert exc.message.startswith("Could not parse: ")
