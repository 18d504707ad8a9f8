"""The demo data set: a small but realistic Rally subscription for examples, docs and tests.

``Emulator(demo=True)`` (``pyral serve --demo``, ``python -m pyral.emulator --demo``) calls
:func:`populate` on a fresh store.  Everything is built through the emulator's own write path
(:func:`service.create`), so the data obeys the same rules as data written over WSAPI:
defaults, FormattedIDs, ranks, revision histories and derived values (task totals,
DefectStatus, LastVerdict, PortfolioItem rollups).  The random choices come from a seeded :class:`random.Random`, so every run yields the same
objects in the same order (same FormattedIDs, names, owners, states); dates are laid out
around the Monday of the current week so that one iteration is always the current one.

What is in it (workspace "Default Workspace"):

* Projects: "Sample Project" (the emulator's default) -> "Online Store" -> "Checkout",
  "Catalog"; "Sample Project" -> "Mobile App"; and the top-level "My Project".  A second
  workspace "Product Engineering" holds "Platform" -> "Infrastructure".
* Users (besides the emulator admin, who is a subscription admin): see :data:`USERS`.  Those
  with credentials:

  ==========================  ================  =============================================
  UserName                    Password          API key
  ==========================  ================  =============================================
  sally@demo.local            Demo-Sally-1      _demoSallyKey000000000000000000000000001
  dave@demo.local             Demo-Dave-1       _demoDaveKey0000000000000000000000000002
  victor@demo.local           Demo-Victor-1     (none; a read-only Viewer everywhere)
  ==========================  ================  =============================================

  Sally Submitter and Dave Developer are Editors of every project of the default workspace
  (so the seed's sample scripts can create and update defects as them); the other users are
  Editors of their team's projects.
* Per team project ("Online Store", "Checkout", "Catalog", "Mobile App", "My Project"): six
  two-week iterations (three past, the current one, two future) and two releases.
* 300 user stories spread over projects, iterations and owners, in all four ScheduleStates,
  with PlanEstimates; a few are parents of child stories; every leaf story has 1-4 tasks.
* Initiatives and Features (features parented to initiatives, stories linked to features),
  with PortfolioItem States.
* 40 test cases (some on stories) with 1-3 results each, so LastVerdict/LastRun are set.
* 60 defects (Submitted/Open/Fixed/Closed, Severity and Priority values, some linked to
  stories or test cases, the custom field ``c_Customer`` set on some), tags, milestones and
  a few discussion posts.
* In "Checkout": a regression TestSet in the current sprint with results recorded in it, a
  DefectSuite and a defect with a test case each, a "Checkout CI" BuildDefinition with three
  Builds, the team's UserIterationCapacities in the current sprint, and posts on a task, a test
  case, the test set, the suite and a feature (so the test-run, capacity and discussion-age
  rollups show something).
* A Lookback history: everything is created (on the emulated clock) the day before the first
  of the four past-and-current sprints; then, day by day through each sprint, stories move
  through their ScheduleStates (Defined -> In-Progress -> Completed -> Accepted, as far as they
  get) and their tasks' ToDo burns down (in two steps in the current sprint), each change a real
  write through the service layer at its emulated time, grouped per instant.  The clock then
  returns to real time.  Burndowns and cumulative flow on the demo data show something real.
* The custom fields upstream pyral's own test suite uses (``c_NumberofCases``,
  ``c_AffectedCustomers`` on stories and defects; ``c_BugzillaID``, ``c_JiraKey``,
  ``c_QCDefectID`` and the drop-down ``c_PrimaryColor`` on defects), set on one story and one
  defect with the values those tests query for.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .backend import Backend
from .service import WriteContext, create, create_project, create_workspace, recorded, update
from .store import Row

SEED = 20140829


@dataclass(frozen=True)
class DemoUser:
    """One demo user (``password``/``api_key`` None: cannot log in)."""

    username: str
    first: str
    last: str
    role: str
    department: str
    office: str
    time_zone: str
    team: tuple[str, ...]
    password: str | None = None
    api_key: str | None = None
    viewer: bool = False

    @property
    def display_name(self) -> str:
        return f"{self.first} {self.last}"


ALL_TEAMS = ("Sample Project", "Online Store", "Checkout", "Catalog", "Mobile App", "My Project")

USERS: tuple[DemoUser, ...] = (
    DemoUser("sally@demo.local", "Sally", "Submitter", "Tester", "Quality", "Boulder", "America/Denver",
             ALL_TEAMS, password="Demo-Sally-1", api_key="_demoSallyKey000000000000000000000000001"),
    DemoUser("dave@demo.local", "Dave", "Developer", "Developer", "Engineering", "Raleigh", "America/New_York",
             ALL_TEAMS, password="Demo-Dave-1", api_key="_demoDaveKey0000000000000000000000000002"),
    DemoUser("paula@demo.local", "Paula", "Product", "Product Owner", "Product", "London", "Europe/London",
             ("Online Store", "Checkout", "Catalog")),
    DemoUser("sam@demo.local", "Sam", "Scrummer", "Scrum Master", "Engineering", "Boulder", "America/Denver",
             ("Checkout", "Catalog")),
    DemoUser("ava@demo.local", "Ava", "Architect", "Architect", "Engineering", "Remote", "America/Los_Angeles",
             ("Online Store", "Mobile App", "My Project")),
    DemoUser("tariq@demo.local", "Tariq", "Tester", "Tester", "Quality", "Remote", "Asia/Kolkata",
             ("Catalog", "Mobile App")),
    DemoUser("mia@demo.local", "Mia", "Mobile", "Developer", "Engineering", "London", "Europe/Berlin",
             ("Mobile App", "My Project")),
    DemoUser("carlos@demo.local", "Carlos", "Coder", "Developer", "Engineering", "Raleigh", "America/Chicago",
             ("Checkout", "My Project")),
    DemoUser("maria@demo.local", "Maria", "Manager", "Manager", "Operations", "Boulder", "",
             ("Sample Project",)),
    DemoUser("victor@demo.local", "Victor", "Viewer", "Stakeholder", "Product", "London", "",
             ALL_TEAMS, password="Demo-Victor-1", viewer=True),
)

TEAM_PROJECTS = ("Online Store", "Checkout", "Catalog", "Mobile App", "My Project")

# Story names are "<subject> <action>" pairs drawn per project.
SUBJECTS: dict[str, tuple[str, ...]] = {
    "Online Store": ("Shopper", "Guest visitor", "Returning customer", "Store admin", "Marketing"),
    "Checkout": ("Shopper", "Payment service", "Guest checkout", "Order desk", "Fraud screening"),
    "Catalog": ("Product page", "Search", "Category browser", "Merchandiser", "Inventory feed"),
    "Mobile App": ("iOS app", "Android app", "Push notifications", "Offline mode", "App onboarding"),
    "My Project": ("Reporting", "Admin console", "Audit log", "Data export", "Settings page"),
}
ACTIONS = (
    "supports saved addresses", "shows delivery estimates", "handles expired cards", "remembers preferences",
    "loads in under two seconds", "validates postal codes", "sends a confirmation email", "lists recent orders",
    "supports gift cards", "filters by price range", "sorts by popularity", "shows stock levels",
    "works with screen readers", "supports dark mode", "retries failed requests", "logs key events",
    "exports to CSV", "paginates long lists", "highlights discounts", "supports multiple currencies",
    "shows product reviews", "applies promo codes", "tracks shipments", "handles partial refunds",
    "localises dates and prices", "uses the new design system", "caches images", "supports single sign-on",
)
TASK_NAMES = ("Design", "Implement service layer", "Implement UI", "Write unit tests", "Code review",
              "Update documentation", "Acceptance testing", "Performance check", "Write migration",
              "Fix review comments")
DEFECT_PROBLEMS = ("fails when the cart is empty", "shows the wrong total", "times out under load",
                   "crashes on rotate", "loses the session after login", "renders off-screen on small phones",
                   "rounds tax incorrectly", "double-submits the order", "ignores the selected currency",
                   "displays stale stock levels", "breaks with non-ASCII names", "returns HTTP 500 on retry")
CUSTOMERS = ("Acme Corp", "Globex", "Initech", "Umbrella Retail", "Wayne Outfitters", "Hooli")
UPSTREAM_CUSTOM_FIELDS: tuple[tuple[str, str, str, list[str] | None], ...] = (
    ("HierarchicalRequirement", "NumberofCases", "INTEGER", None),
    ("HierarchicalRequirement", "AffectedCustomers", "STRING", None),
    ("Defect", "BugzillaID", "INTEGER", None),
    ("Defect", "JiraKey", "STRING", None),
    ("Defect", "QCDefectID", "INTEGER", None),
    ("Defect", "NumberofCases", "INTEGER", None),
    ("Defect", "AffectedCustomers", "STRING", None),
    ("Defect", "PrimaryColor", "STRING", ["Red", "Orange", "Yellow", "Green", "Blue", "Indigo", "Magenta"]),
)
TAGS = ("UX", "Performance", "Security", "Tech Debt", "Customer Request", "Accessibility", "Spike")
INITIATIVES = (
    ("Grow online revenue", "Developing", ("Faster checkout", "Smarter search", "Promotions engine",
                                           "Saved payment methods")),
    ("Mobile first", "Developing", ("Native mobile checkout", "Offline browsing", "Push campaigns")),
    ("Operational excellence", "Discovering", ("Self-service reporting", "Audit trail", "Data export API")),
)
FEATURE_STATES = ("Discovering", "Developing", "Developing", "Measuring", "Done")
SCHEDULE_STATES = ("Defined", "In-Progress", "Completed", "Accepted")
HISTORY_SLOTS = (0, 1, 2, 3)  # iterations whose stories and tasks get a day-by-day history
SPRINT_DAYS = 12  # the last working day of a two-week sprint, counted from its start
STORY_COUNT = 300
DEFECT_COUNT = 60
TEST_CASE_COUNT = 40


def _iso(day: date, hour: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class _Builder:
    """Holds the ids created so far while :func:`populate` runs."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.store = backend.store
        self.rng = random.Random(SEED)
        ws = self.store.select("o.type = 'Workspace' AND o.deleted = 0", [], limit=1)[0]
        self.ws = ws.oid
        self.sample = self.store.select("o.type = 'Project' AND o.workspace = ? AND o.deleted = 0",
                                        [self.ws], limit=1)[0].oid
        self.admin = int(ws.data["Owner"]) if ws.data.get("Owner") else None
        self.projects: dict[str, int] = {"Sample Project": self.sample}
        self.users: dict[str, int] = {}
        self.team: dict[str, list[int]] = {}
        self.iterations: dict[str, list[Row]] = {}
        self.releases: dict[str, list[Row]] = {}
        self.started = backend.clock.now()
        self.today = self.started.date()
        self.monday = self.today - timedelta(days=self.today.weekday())
        # History: everything is created the day before the first sprint, then the sprints'
        # changes are replayed day by day on the emulated clock (see :meth:`replay_history`).
        first = self.monday - timedelta(days=14 * 3)
        self.created_at = datetime(first.year, first.month, first.day, 9, tzinfo=UTC) - timedelta(days=1)
        self.history_rng = random.Random(SEED + 1)  # its own stream: the data set stays as it was
        self.changes: list[tuple[datetime, int, int, str, dict[str, Any]]] = []

    # -- helpers ---------------------------------------------------------------------------
    def ctx(self, project: int | None = None, wrapper: str = "") -> WriteContext:
        return WriteContext(self.backend, None, workspace=self.ws, project=project or self.sample, wrapper=wrapper)

    def make(self, type_name: str, payload: dict[str, Any], project: int | None = None) -> Row:
        tdef = self.backend.type(type_name, self.ws)
        return create(self.ctx(project, tdef.name), tdef, payload)

    # -- organisation ----------------------------------------------------------------------
    def build_projects(self) -> None:
        p = self.projects
        p["Online Store"] = create_project(self.backend, self.ws, "Online Store", parent=self.sample,
                                           owner=self.admin, extra={"Description": "The web shop."}).oid
        for name, text in (("Checkout", "Cart, payment and order placement."),
                           ("Catalog", "Products, search and browsing.")):
            p[name] = create_project(self.backend, self.ws, name, parent=p["Online Store"], owner=self.admin,
                                     extra={"Description": text}).oid
        p["Mobile App"] = create_project(self.backend, self.ws, "Mobile App", parent=self.sample,
                                         owner=self.admin, extra={"Description": "iOS and Android apps."}).oid
        p["My Project"] = create_project(self.backend, self.ws, "My Project", owner=self.admin,
                                         extra={"Description": "Back-office tools."}).oid
        other = create_workspace(self.backend, "Product Engineering", owner=self.admin)
        platform = create_project(self.backend, other.oid, "Platform", owner=self.admin)
        create_project(self.backend, other.oid, "Infrastructure", parent=platform.oid, owner=self.admin)

    def build_users(self) -> None:
        for spec in USERS:
            user = self.backend.create_user(
                spec.username, password=spec.password, api_key=spec.api_key, display_name=spec.display_name,
                first=spec.first, last=spec.last, email=spec.username,
                extra={"Role": spec.role, "Department": spec.department, "OfficeLocation": spec.office,
                       "CostCenter": "CC-100" if spec.department == "Engineering" else "CC-200"})
            self.users[spec.display_name] = user.oid
            home = self.projects[spec.team[0]]
            self.backend.set_defaults(user.oid, self.ws, home)
            profile = self.store.get(int(user.data["UserProfile"]))
            if profile is not None and spec.time_zone:
                profile.data["TimeZone"] = spec.time_zone
                self.store.save(profile, bump=False)
            role = "Viewer" if spec.viewer else "Editor"
            for team in spec.team:
                self.store.insert("ProjectPermission", {
                    "User": user.oid, "Project": self.projects[team], "Role": role,
                    "Name": f"{team} {role}", "CustomObjectID": ""}, workspace=self.ws)
                if not spec.viewer:
                    self.store.add_links(self.projects[team], "Editors", [user.oid])
                if not spec.viewer and team in TEAM_PROJECTS:
                    self.team.setdefault(team, []).append(user.oid)
                    self.store.add_links(user.oid, "TeamMemberships", [self.projects[team]])
        for team in TEAM_PROJECTS:
            self.team.setdefault(team, [self.users["Dave Developer"]])

    def build_timeboxes(self) -> None:
        for team in TEAM_PROJECTS:
            proj = self.projects[team]
            its: list[Row] = []
            for index in range(6):
                start = self.monday + timedelta(days=14 * (index - 3))
                end = start + timedelta(days=13)
                state = "Accepted" if index < 3 else "Committed" if index == 3 else "Planning"
                its.append(self.make("Iteration", {
                    "Name": f"{team} Sprint {index + 1}", "StartDate": _iso(start), "EndDate": _iso(end, 23),
                    "State": state, "Project": proj, "PlannedVelocity": 20 + 2 * index,
                    "Theme": "", "Notes": ""}, proj))
            self.iterations[team] = its
            rels: list[Row] = []
            for index, (name, state) in enumerate((("1.0", "Active"), ("2.0", "Planning"))):
                start = self.monday + timedelta(days=84 * index - 42)
                rels.append(self.make("Release", {
                    "Name": f"{team} {name}", "ReleaseStartDate": _iso(start),
                    "ReleaseDate": _iso(start + timedelta(days=83), 23), "State": state, "Project": proj,
                    "Version": name, "PlannedVelocity": 120}, proj))
            self.releases[team] = rels

    def pi_states(self, type_path: str) -> dict[str, int]:
        typedef = self.store.select("o.type = 'TypeDefinition' AND o.workspace = ?"
                                    " AND json_extract(o.data, '$.\"TypePath\"') = ?", [self.ws, type_path], limit=1)
        rows = self.store.select("o.type = 'State' AND o.workspace = ? AND json_extract(o.data, '$.\"TypeDef\"') = ?",
                                 [self.ws, typedef[0].oid])
        return {str(r.data["Name"]): r.oid for r in rows}

    # -- portfolio ---------------------------------------------------------------------------
    def build_portfolio(self) -> list[tuple[Row, str]]:
        """Initiatives and features; returns (feature, team project) pairs."""
        rng = self.rng
        init_states = self.pi_states("PortfolioItem/Initiative")
        feat_states = self.pi_states("PortfolioItem/Feature")
        estimates = {str(r.data["Name"]): r.oid for r in self.store.select(
            "o.type = 'PreliminaryEstimate' AND o.workspace = ?", [self.ws])}
        owners = [self.users["Paula Product"], self.users["Ava Architect"], self.users["Maria Manager"]]
        features: list[tuple[Row, str]] = []
        teams = {0: ("Online Store", "Checkout", "Catalog"), 1: ("Mobile App",), 2: ("My Project",)}
        for index, (name, state, feature_names) in enumerate(INITIATIVES):
            initiative = self.make("PortfolioItem/Initiative", {
                "Name": name, "State": init_states[state], "Owner": owners[index],
                "Description": f"Strategic initiative: {name.lower()}.",
                "InvestmentCategory": "Strategic Growth" if index < 2 else "Maintenance",
                "PlannedStartDate": _iso(self.monday - timedelta(days=60)),
                "PlannedEndDate": _iso(self.monday + timedelta(days=120))}, self.sample)
            for fname in feature_names:
                team = rng.choice(teams[index])
                feature = self.make("PortfolioItem/Feature", {
                    "Name": fname, "Parent": initiative.oid, "State": feat_states[rng.choice(FEATURE_STATES)],
                    "Owner": rng.choice(self.team[team]), "Description": f"{fname} for the {team} team.",
                    "PreliminaryEstimate": estimates[rng.choice(("S", "M", "L", "XL"))],
                    "InvestmentCategory": rng.choice(("Short Term Growth", "Strategic Growth", "Cost Savings")),
                    "PlannedStartDate": _iso(self.monday - timedelta(days=rng.randrange(10, 60))),
                    "PlannedEndDate": _iso(self.monday + timedelta(days=rng.randrange(20, 110)))},
                    self.projects[team])
                features.append((feature, team))
        return features

    def build_tags_and_milestones(self) -> tuple[list[int], list[int]]:
        tags = [self.make("Tag", {"Name": name}).oid for name in TAGS]
        milestones = []
        for index, (name, days) in enumerate((("Beta launch", 10), ("Holiday code freeze", 45),
                                              ("2.0 General availability", 90))):
            row = self.make("Milestone", {"Name": name, "TargetDate": _iso(self.monday + timedelta(days=days)),
                                          "TargetProject": self.projects[TEAM_PROJECTS[index % 2]],
                                          "DisplayColor": ("#105cab", "#df1a7b", "#4a1d7e")[index],
                                          "Notes": ""})
            milestones.append(row.oid)
        return tags, milestones

    # -- work items --------------------------------------------------------------------------
    def story_state(self, iteration_index: int | None) -> str:
        rng = self.rng
        if iteration_index is None:
            return "Defined"
        if iteration_index < 3:
            return rng.choices(SCHEDULE_STATES, (1, 1, 3, 12))[0]
        if iteration_index == 3:
            return rng.choices(SCHEDULE_STATES, (3, 4, 2, 1))[0]
        return rng.choices(SCHEDULE_STATES, (8, 1, 0, 0))[0]

    def build_stories(self, features: list[tuple[Row, str]], tags: list[int], milestones: list[int]) -> list[Row]:
        rng = self.rng
        by_team: dict[str, list[int]] = {}
        for feature, team in features:
            by_team.setdefault(team, []).append(feature.oid)
        stories: list[Row] = []
        plan: list[tuple[str, int | None]] = []
        for number in range(STORY_COUNT):
            team = TEAM_PROJECTS[number % len(TEAM_PROJECTS)]
            slot = rng.choices([None, 0, 1, 2, 3, 4, 5], (3, 2, 2, 2, 3, 2, 1))[0]
            plan.append((team, slot))
        index = 0
        while index < len(plan):
            team, slot = plan[index]
            # Every 20th story is a parent with two or three children that follow it.
            children = rng.choice((2, 3)) if index % 20 == 7 and index + 4 < len(plan) else 0
            child_states = [self.story_state(slot) for _ in range(children)]
            child_points = [rng.choice((1, 2, 3, 5)) for _ in range(children)]
            parent = self.story(team, slot, features=by_team.get(team, []), tags=tags, milestones=milestones,
                                state=min(child_states, key=SCHEDULE_STATES.index) if children else None,
                                points=sum(child_points) if children else None, with_tasks=not children)
            stories.append(parent)
            index += 1
            for state, points in zip(child_states, child_points, strict=True):
                stories.append(self.story(team, slot, parent=parent.oid, tags=tags, milestones=milestones,
                                          state=state, points=points, with_tasks=True))
                index += 1
        return stories

    def story(self, team: str, slot: int | None, *, features: list[int] | None = None, parent: int | None = None,
              tags: list[int], milestones: list[int], state: str | None = None, points: int | None = None,
              with_tasks: bool = True) -> Row:
        rng = self.rng
        proj = self.projects[team]
        state = state or self.story_state(slot)
        final_state = state
        iteration = self.iterations[team][slot] if slot is not None else None
        timeline = self.timeline(iteration, final_state) if slot in HISTORY_SLOTS and iteration else None
        if timeline is not None:
            state = "Defined"  # where the story starts; replay_history moves it to final_state
        release = self.releases[team][0 if slot is None or slot < 4 else 1] if slot is not None else None
        name = f"{rng.choice(SUBJECTS[team])} {rng.choice(ACTIONS)}"
        payload: dict[str, Any] = {
            "Name": name, "ScheduleState": state, "Owner": rng.choice(self.team[team]),
            "PlanEstimate": points if points is not None else rng.choice((1, 2, 3, 3, 5, 5, 8, 13)),
            "Description": f"<p>As a user, I want the {name.lower()} so that shopping is easier.</p>",
            "Notes": "", "Blocked": final_state == "In-Progress" and rng.random() < 0.1,
        }
        if payload["Blocked"]:
            payload["BlockedReason"] = "Waiting on the payments API"
        blocked: dict[str, Any] = {k: payload.pop(k) for k in ("Blocked", "BlockedReason") if timeline is not None and k in payload}
        if iteration is not None:
            payload["Iteration"] = iteration.oid
        if release is not None:
            payload["Release"] = release.oid
        if parent is not None:
            payload["Parent"] = parent
        elif features and rng.random() < 0.6:
            payload["PortfolioItem"] = rng.choice(features)
        if rng.random() < 0.25:
            payload["Tags"] = rng.sample(tags, rng.choice((1, 2)))
        if rng.random() < 0.1:
            payload["Milestones"] = [rng.choice(milestones)]
        row = self.make("HierarchicalRequirement", payload, proj)
        if timeline is not None:
            self.plan_story(row, final_state, timeline, blocked)
        if with_tasks:
            for name in rng.sample(TASK_NAMES, rng.randint(1, 4)):
                self.task(row, final_state, name, timeline)
        return row

    def task(self, story: Row, story_state: str, name: str, timeline: dict[str, Any] | None = None) -> None:
        rng = self.rng
        estimate = float(rng.choice((1, 2, 3, 4, 6, 8)))
        if story_state in ("Completed", "Accepted"):
            state, todo, actuals = "Completed", 0.0, estimate + rng.choice((-1, 0, 0, 1, 2))
        elif story_state == "In-Progress":
            state = rng.choice(("Defined", "In-Progress", "Completed"))
            done = {"Defined": 0.0, "In-Progress": 0.5, "Completed": 1.0}[state]
            todo, actuals = estimate * (1 - done), estimate * done
        else:
            state, todo, actuals = "Defined", estimate, 0.0
        final: dict[str, Any] = {"State": state, "ToDo": todo, "Actuals": max(actuals, 0.0)}
        todo_final, actuals_final = todo, max(actuals, 0.0)
        if timeline is not None:
            state, todo, actuals = "Defined", estimate, 0.0
        row = self.make("Task", {
            "Name": name,
            "WorkProduct": story.oid, "State": state, "Estimate": estimate, "ToDo": todo,
            "Actuals": max(actuals, 0.0), "Owner": story.data.get("Owner")}, story.project)
        if timeline is not None and final["State"] != "Defined":
            if timeline["current"]:  # the current sprint burns down in two steps, past ones in one
                half = {"State": "In-Progress", "ToDo": (estimate + todo_final) / 2, "Actuals": actuals_final / 2}
                self.change(timeline["half"], row, "Task", half)
            self.change(timeline["done"], row, "Task", final)

    # -- history -----------------------------------------------------------------------------
    def timeline(self, iteration: Row, final_state: str) -> dict[str, Any]:
        """When a story of ``iteration`` moves to each state, and when its tasks burn down.

        Days of the sprint are spread over the time the sprint has had so far (all of it for
        past sprints), so that nothing is later than the real now.
        """
        rng = self.history_rng
        start = datetime.fromisoformat(str(iteration.data["StartDate"]).replace("Z", "+00:00"))
        span = min(timedelta(days=SPRINT_DAYS), max(self.started - start - timedelta(minutes=2), timedelta(0)))
        begun = 1 + rng.randint(0, 3)
        completed = min(begun + 2 + rng.randint(0, 4), SPRINT_DAYS - 1)
        accepted = min(completed + 1 + rng.randint(0, 2), SPRINT_DAYS)
        done = completed if SCHEDULE_STATES.index(final_state) >= 2 else SPRINT_DAYS

        def at(day: int) -> datetime:
            return start + span * day / SPRINT_DAYS

        return {"In-Progress": at(begun), "Completed": at(completed), "Accepted": at(accepted),
                "half": at((begun + done) // 2), "done": at(done), "current": span < timedelta(days=SPRINT_DAYS)}

    def plan_story(self, row: Row, final_state: str, timeline: dict[str, Any], blocked: dict[str, Any]) -> None:
        for state in SCHEDULE_STATES[1:SCHEDULE_STATES.index(final_state) + 1]:
            payload: dict[str, Any] = {"ScheduleState": state}
            if state == "In-Progress":
                payload.update(blocked)
            if state != "In-Progress" and blocked.get("Blocked"):
                payload["Blocked"] = False
            self.change(timeline[state], row, "HierarchicalRequirement", payload)

    def change(self, when: datetime, row: Row, type_name: str, payload: dict[str, Any]) -> None:
        self.changes.append((when, len(self.changes), row.oid, type_name, payload))

    def replay_history(self) -> None:
        """Apply the planned changes in time order: one write operation per instant."""
        by_time: dict[datetime, list[tuple[int, str, dict[str, Any]]]] = {}
        for when, _, oid, type_name, payload in sorted(self.changes, key=lambda c: (c[0], c[1])):
            by_time.setdefault(when, []).append((oid, type_name, payload))
        for when, changes in by_time.items():
            self.backend.set_clock(when)
            with recorded(self.backend, None, user=self.admin):
                for oid, type_name, payload in changes:
                    row = self.store.get(oid)
                    if row is not None:
                        update(WriteContext(self.backend, None, workspace=self.ws, project=row.project,
                                            wrapper=type_name), row, payload)

    def build_custom_field(self) -> None:
        self.make("AttributeDefinition", {"Name": "Customer", "AttributeType": "STRING", "TypePath": "Defect",
                                          "Workspace": self.ws})
        # The custom fields upstream pyral's own tests (test_field_access, test_allowed_values) use.
        for type_path, name, kind, allowed in UPSTREAM_CUSTOM_FIELDS:
            self.make("AttributeDefinition", {"Name": name, "AttributeType": kind, "TypePath": type_path,
                                              "Workspace": self.ws, "AllowedValues": allowed})

    def set_upstream_custom_values(self, stories: list[Row], defects: list[Row]) -> None:
        """Values upstream's test_field_access queries for (no randomness: the rest stays as it was)."""
        ctx = self.ctx(None, "HierarchicalRequirement")
        update(ctx, stories[0], {"NumberofCases": 9, "AffectedCustomers": "abc, xyz"})
        ctx = self.ctx(None, "Defect")
        update(ctx, defects[0], {"BugzillaID": 7224, "JiraKey": "SLO-109", "QCDefectID": 5724, "NumberofCases": 4,
                                 "AffectedCustomers": "abc, def, jkl, qrs, uvw", "PrimaryColor": "Magenta"})

    def build_defects(self, stories: list[Row], test_cases: list[Row], tags: list[int]) -> list[Row]:
        rng = self.rng
        out: list[Row] = []
        sally = self.users["Sally Submitter"]
        testers = [sally, self.users["Tariq Tester"]]
        severities = ("Crash/Data Loss", "Major Problem", "Minor Problem", "Cosmetic")
        priorities = ("Resolve Immediately", "High Attention", "Normal", "Low")
        for number in range(DEFECT_COUNT):
            team = TEAM_PROJECTS[number % len(TEAM_PROJECTS)]
            proj = self.projects[team]
            state = rng.choices(("Submitted", "Open", "Fixed", "Closed"), (2, 4, 2, 3))[0]
            schedule = {"Submitted": "Defined", "Open": rng.choice(("Defined", "In-Progress")),
                        "Fixed": "Completed", "Closed": "Accepted"}[state]
            name = f"{rng.choice(SUBJECTS[team])} {rng.choice(DEFECT_PROBLEMS)}"
            payload: dict[str, Any] = {
                "Name": name, "State": state, "ScheduleState": schedule,
                "Severity": rng.choice(severities), "Priority": rng.choices(priorities, (1, 3, 4, 2))[0],
                "SubmittedBy": sally if number % 3 else rng.choice(testers),
                "Owner": rng.choice(self.team[team]) if state != "Submitted" else None,
                "Environment": rng.choice(("Production", "Staging", "Test")),
                "Description": f"Steps to reproduce: open the {team} area and watch it: {name.lower()}.",
                "FoundInBuild": f"1.0.{rng.randint(1, 40)}",
            }
            if state in ("Fixed", "Closed"):
                payload["Resolution"] = rng.choice(("Code Change", "Configuration Change", "Database Change"))
                payload["FixedInBuild"] = f"1.0.{rng.randint(41, 60)}"
            team_stories = [s for s in stories if s.project == proj]
            if team_stories and rng.random() < 0.45:
                story = rng.choice(team_stories)
                payload["Requirement"] = story.oid
                if story.data.get("Iteration"):
                    payload["Iteration"] = story.data["Iteration"]
            team_cases = [t for t in test_cases if t.project == proj]
            if team_cases and rng.random() < 0.3:
                payload["TestCase"] = rng.choice(team_cases).oid
            if rng.random() < 0.35:
                payload["c_Customer"] = rng.choice(CUSTOMERS)
            if rng.random() < 0.2:
                payload["Tags"] = [rng.choice(tags)]
            if rng.random() < 0.3:
                payload["TargetDate"] = _iso(self.monday + timedelta(days=rng.randrange(3, 60)))
            out.append(self.make("Defect", payload, proj))
        return out

    def build_test_cases(self, stories: list[Row]) -> list[Row]:
        rng = self.rng
        testers = [self.users["Sally Submitter"], self.users["Tariq Tester"]]
        types = ("Acceptance", "Functional", "Performance", "Regression", "Usability", "User Interface")
        verdicts = ("Pass", "Pass", "Pass", "Fail", "Blocked", "Inconclusive", "Error")
        out: list[Row] = []
        for number in range(TEST_CASE_COUNT):
            team = TEAM_PROJECTS[number % len(TEAM_PROJECTS)]
            proj = self.projects[team]
            subject = rng.choice(SUBJECTS[team])
            payload: dict[str, Any] = {
                "Name": f"{subject} {rng.choice(ACTIONS)}", "Type": rng.choice(types),
                "Method": rng.choice(("Manual", "Automated", "Automated")),
                "Priority": rng.choice(("Useful", "Important", "Critical")),
                "Risk": rng.choice(("Low", "Medium", "High")), "Owner": rng.choice(testers),
                "Objective": f"Verify that the {subject.lower()} behaves as specified.",
                "PreConditions": "Logged in as a registered shopper.",
                "ValidationInput": "Follow the steps of the story's acceptance criteria.",
                "ValidationExpectedResult": "The page shows the expected result without errors.",
            }
            team_stories = [s for s in stories if s.project == proj]
            if rng.random() < 0.7 and team_stories:
                payload["WorkProduct"] = rng.choice(team_stories).oid
            tc = self.make("TestCase", payload, proj)
            out.append(tc)
            for run in range(rng.randint(1, 3)):
                day = self.monday - timedelta(days=rng.randrange(1, 40))
                self.make("TestCaseResult", {
                    "TestCase": tc.oid, "Build": f"1.0.{20 + 10 * run + rng.randint(0, 9)}",
                    "Date": _iso(day, 10 + run), "Verdict": rng.choice(verdicts), "Tester": rng.choice(testers),
                    "Duration": float(rng.randint(1, 30)), "Notes": ""}, proj)
        return out

    def build_discussion(self, stories: list[Row], defects: list[Row]) -> None:
        posts = (
            (stories[1], self.users["Paula Product"], "Can we ship this behind a feature flag first?"),
            (stories[1], self.users["Dave Developer"], "Yes, the flag is in place; QA can start tomorrow."),
            (stories[4], self.users["Ava Architect"], "Please reuse the pricing service instead of a new one."),
            (defects[0], self.users["Sally Submitter"], "Reproduced on staging with build 1.0.12."),
            (defects[0], self.users["Dave Developer"], "Root cause found; fix is in review."),
        )
        for artifact, user, text in posts:
            self.post(artifact, user, text)

    def post(self, artifact: Row, user: int, text: str) -> None:
        post = self.make("ConversationPost", {"Artifact": artifact.oid, "Text": text}, artifact.project)
        post.data["User"] = user
        self.store.save(post, bump=False)

    def build_runs_and_planning(self, features: list[tuple[Row, str]], test_cases: list[Row],
                                defects: list[Row]) -> None:
        """Checkout's regression test set and defect suite with runs, its CI build definition and
        builds, its team's capacities in the current sprint, and discussions on more artifact types
        (no random draws: the objects before keep their values)."""
        proj = self.projects["Checkout"]
        current, release = self.iterations["Checkout"][3], self.releases["Checkout"][0]
        tester = self.users["Tariq Tester"]
        cases = [tc for tc in test_cases if tc.project == proj]
        test_set = self.make("TestSet", {"Name": "Checkout regression run", "Iteration": current.oid,
                                         "Release": release.oid, "TestCases": [tc.oid for tc in cases[:3]]}, proj)
        for number, tc in enumerate(cases[:3]):  # older than every other result: LastVerdicts stay
            self.make("TestCaseResult", {
                "TestCase": tc.oid, "TestSet": test_set.oid, "Build": f"0.9.{number + 1}",
                "Date": _iso(self.monday - timedelta(days=45 - number), 9), "Verdict": ("Pass", "Fail", "Pass")[number],
                "Tester": tester, "Duration": 5.0, "Notes": ""}, proj)
        suite = self.make("DefectSuite", {"Name": "Payment regressions", "Release": release.oid}, proj)
        loose = [tc for tc in cases if not tc.data.get("WorkProduct")] + cases[::-1]
        defect = next(d for d in defects if d.project == proj)
        update(self.ctx(proj, "TestCase"), loose[0], {"WorkProduct": suite.oid})
        update(self.ctx(proj, "TestCase"), loose[1], {"WorkProduct": defect.oid})
        ci = self.make("BuildDefinition", {"Name": "Checkout CI", "Project": proj}, proj)
        for number, status in enumerate(("SUCCESS", "FAILURE", "SUCCESS")):
            self.make("Build", {"BuildDefinition": ci.oid, "Number": f"1.0.{61 + number}", "Status": status,
                                "Start": _iso(self.monday - timedelta(days=3 - number), 2), "Duration": 12.5}, proj)
        for user in self.team["Checkout"]:
            self.make("UserIterationCapacity", {"User": user, "Iteration": current.oid, "Project": proj,
                                                "Capacity": 30.0}, proj)
        task = self.store.select("o.type = 'Task' AND o.deleted = 0 AND o.project = ?", [proj], limit=1)[0]
        feature = next(f for f, team in features if team == "Checkout")
        posts = ((task, "Blocked until the payment sandbox is back."), (cases[0], "Steps updated for the new form."),
                 (test_set, "Run it again on the release candidate."), (suite, "Two of these block the release."),
                 (feature, "Scope agreed with the payment provider."))
        for artifact, text in posts:
            self.post(artifact, tester, text)


def populate(backend: Backend) -> None:
    """Load the demo data set into a freshly bootstrapped store (see the module docstring)."""
    builder = _Builder(backend)
    backend.set_clock(builder.created_at)
    try:
        with backend.store.transaction():
            with recorded(backend, None, user=builder.admin):
                _build(builder)
            builder.replay_history()
    finally:
        backend.set_clock(None)


def _build(builder: _Builder) -> None:
    """Every object of the data set, in the order the random draws expect."""
    builder.build_projects()
    builder.build_users()
    builder.build_timeboxes()
    builder.build_custom_field()
    features = builder.build_portfolio()
    tags, milestones = builder.build_tags_and_milestones()
    stories = builder.build_stories(features, tags, milestones)
    test_cases = builder.build_test_cases(stories)
    defects = builder.build_defects(stories, test_cases, tags)
    builder.build_discussion(stories, defects)
    builder.build_runs_and_planning(features, test_cases, defects)
    builder.set_upstream_custom_values(stories, defects)
