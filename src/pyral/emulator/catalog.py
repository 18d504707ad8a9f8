"""The Rally type catalog: every type, attribute, allowed value, collection and default.

The base comes from a real WSAPI v2.0 workspace schema (``data/rally_schema.json``, derived by
``tools/derive_catalog.py``).  Types and values that capture lacks (the PortfolioItem family,
State, TestFolder, TestSet, the abstract Requirement/SchedulableArtifact, RATING value lists)
are added here by hand from the protocol notes.  Custom (``c_``) attributes are per workspace:
:class:`WorkspaceSchema` overlays them on the base catalog.

This module is the only place in the emulator that knows Rally's type semantics.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field, replace
from functools import cached_property
from importlib import resources
from typing import Any

SCALAR_TYPES = {"STRING", "TEXT", "BOOLEAN", "INTEGER", "QUANTITY", "DECIMAL", "DATE", "RATING",
                "STATE", "RAW", "WEB_LINK", "BINARY_DATA", "MAP"}


@dataclass(frozen=True)
class CollectionSpec:
    """How a COLLECTION attribute's members are found.

    kind ``inverse``: members are objects of ``child`` whose reference ``via`` points at the owner.
    kind ``link``: members are stored in the links table under this attribute's name.
    kind ``reverse``: members are owners of links named ``via`` that target this object.
    kind ``virtual``: computed by the emulator (typedef Attributes, AllowedValues ...).
    """

    kind: str
    child: str
    via: str = ""


@dataclass(frozen=True)
class AttrDef:
    """One attribute of a type, as the schema endpoint and the write path see it."""

    name: str
    display_name: str
    type: str
    schema_type: str
    oid: int
    required: bool = False
    read_only: bool = False
    custom: bool = False
    constrained: bool = False
    filterable: bool = True
    hidden: bool = False
    sortable: bool = True
    max_length: int = -1
    max_fraction: int = -1
    target: str | None = None
    allowed: tuple[str, ...] | None = None
    inline_allowed: bool = True
    collection: CollectionSpec | None = None
    create_only: bool = False

    @property
    def ordered(self) -> bool:
        """RATING/STATE and constrained value lists compare by position, not text."""
        return self.type in ("RATING", "STATE") and bool(self.allowed)



@dataclass(frozen=True)
class TypeDef:
    """One Rally type (ElementName, TypePath, flags) with its attributes in schema order."""

    name: str
    type_path: str
    display_name: str
    id_prefix: str | None
    parent: str | None
    abstract: bool
    creatable: bool
    queryable: bool
    read_only: bool
    deletable: bool
    restorable: bool
    ordinal: int
    user_listable: bool
    attrs: tuple[AttrDef, ...]
    oid: int = 0
    workspace_scoped: bool = True

    @cached_property
    def by_name(self) -> dict[str, AttrDef]:
        return {a.name: a for a in self.attrs}

    @cached_property
    def by_lower(self) -> dict[str, AttrDef]:
        out: dict[str, AttrDef] = {}
        for a in self.attrs:
            out.setdefault(a.name.lower(), a)
            if a.custom and a.name.startswith("c_"):
                out.setdefault(a.name[2:].lower(), a)
        # Display names without spaces (upstream normalises "Schedule State" too).
        for a in self.attrs:
            out.setdefault(a.display_name.replace(" ", "").lower(), a)
        return out

    def attr(self, name: str) -> AttrDef | None:
        """Find an attribute by ElementName, case-insensitively, custom ones with or without c_."""
        exact = self.by_name.get(name)
        if exact is not None:
            return exact
        return self.by_lower.get(name.lower())

    @property
    def is_artifact(self) -> bool:
        return "FormattedID" in self.by_name

    @property
    def has_project(self) -> bool:
        return "Project" in self.by_name

    @property
    def is_portfolio_item(self) -> bool:
        return self.type_path.startswith("PortfolioItem/")


def _a(name: str, atype: str, oid: int, *, schema: str | None = None, target: str | None = None,
       required: bool = False, ro: bool = False, allowed: tuple[str, ...] | None = None,
       coll: CollectionSpec | None = None, display: str | None = None, max_length: int = -1,
       inline: bool = True) -> AttrDef:
    schema_type = schema or {"STRING": "string", "TEXT": "string", "BOOLEAN": "boolean",
                             "INTEGER": "long", "QUANTITY": "double", "DECIMAL": "double",
                             "DATE": "dateTime", "RATING": "string", "STATE": "string",
                             "OBJECT": target or "string", "COLLECTION": f"{name}Type",
                             "WEB_LINK": "WebLink"}.get(atype, "string")
    disp = display or "".join((" " + c if c.isupper() and i else c) for i, c in enumerate(name)).strip()
    return AttrDef(name=name, display_name=disp, type=atype, schema_type=schema_type, oid=oid,
                   required=required, read_only=ro, target=target, allowed=allowed,
                   collection=coll, max_length=max_length, inline_allowed=inline,
                   constrained=allowed is not None and atype in ("RATING", "STATE", "STRING"))


# --- Values the capture leaves out (RATING lists are refs there) -------------------------------

RATING_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("Defect", "State"): ("Submitted", "Open", "Fixed", "Closed"),
    ("Defect", "Severity"): ("None", "Crash/Data Loss", "Major Problem", "Minor Problem", "Cosmetic"),
    ("Defect", "Priority"): ("None", "Resolve Immediately", "High Attention", "Normal", "Low"),
    ("Defect", "Resolution"): ("None", "Architecture", "Code Change", "Configuration Change",
                               "Database Change", "Duplicate", "Need More Information",
                               "Not a Defect", "Software Limitation", "User Interface"),
    ("Defect", "Environment"): ("None", "Development", "Test", "Staging", "Production"),
    ("DefectSuite", "Priority"): ("None", "Resolve Immediately", "High Attention", "Normal", "Low"),
    ("DefectSuite", "Severity"): ("None", "Crash/Data Loss", "Major Problem", "Minor Problem", "Cosmetic"),
    ("TestCase", "Priority"): ("None", "Useful", "Important", "Critical"),
    ("TestCase", "Risk"): ("None", "Low", "Medium", "High"),
    ("User", "Role"): ("None", "Developer", "Tester", "Product Owner", "Scrum Master", "Manager",
                       "Architect", "Stakeholder"),
    ("User", "Department"): ("None", "Engineering", "Quality", "Product", "Operations"),
    ("User", "CostCenter"): ("None", "CC-100", "CC-200", "CC-300"),
    ("User", "OfficeLocation"): ("None", "Boulder", "Raleigh", "London", "Remote"),
}

# Defaults Rally fills on create (attribute -> value); RATING attributes default to "None".
DEFAULTS: dict[str, dict[str, Any]] = {
    "SchedulableArtifact": {"ScheduleState": "Defined", "Blocked": False, "TaskStatus": "NONE",
                            "DefectStatus": "NONE", "TestCaseStatus": "NONE", "TaskEstimateTotal": 0.0,
                            "TaskRemainingTotal": 0.0, "TaskActualTotal": 0.0, "TestCaseCount": 0,
                            "PassingTestCaseCount": 0},
    "Artifact": {"Ready": False, "Expedite": False, "Description": "", "Notes": "",
                 "DisplayColor": ""},
    "HierarchicalRequirement": {"DirectChildrenCount": 0, "HasParent": False, "TotalDirectTestCaseCount": 0,
                                "DirectPassingTestCaseCount": 0},
    "Defect": {"State": "Submitted", "AffectsDoc": False, "ReleaseNote": False},
    "Task": {"State": "Defined", "Blocked": False, "TimeSpent": 0.0},
    "Milestone": {"TotalArtifactCount": 0, "TotalProjectCount": 0, "ClosedProjectCount": 0},
    "DefectSuite": {"TotalDefectCount": 0, "ClosedDefectCount": 0},
    "TestCase": {"Method": "Manual", "Type": "Acceptance", "DefectStatus": "NONE"},
    "Project": {"State": "Open", "Description": "", "Notes": ""},
    "Workspace": {"State": "Open", "Style": "UserStory", "Description": "", "Notes": ""},
    "Iteration": {"State": "Planning", "Notes": "", "Theme": "", "PlanEstimate": 0.0, "TaskEstimateTotal": 0.0,
                  "TaskRemainingTotal": 0.0, "TaskActualTotal": 0.0},
    "Release": {"State": "Planning", "GrossEstimateConversionRatio": 1.0, "Notes": "", "Theme": "",
                "PlanEstimate": 0.0, "TaskEstimateTotal": 0.0, "TaskRemainingTotal": 0.0, "TaskActualTotal": 0.0,
                "Accepted": 0.0},
    "User": {"Disabled": False, "SubscriptionAdmin": False, "Planner": False},
    "UserProfile": {"EmailNotificationEnabled": False, "SessionTimeoutSeconds": 3600,
                    "SessionTimeoutWarning": True, "WelcomePageHidden": True,
                    "DefaultDetailPageToViewingMode": False, "TimeZone": "", "DateFormat": "",
                    "DateTimeFormat": ""},
    "Tag": {"Archived": False},
    "TestFolder": {},
    "PortfolioItem": {},
}

# Attributes the capture flags Required that Rally does not demand on create.
NOT_REQUIRED_ON_CREATE = {
    ("User", "FirstName"), ("User", "LastName"), ("User", "MiddleName"),
    ("User", "ShortDisplayName"), ("User", "OnpremLdapUsername"),
    ("TypeDefinition", "Note"),
}

# Required-but-read-only attributes a client may set when creating (Rally's create-only fields).
CREATE_ONLY = {("Iteration", "Project"), ("Release", "Project"), ("Attachment", "Size"),
               ("Workspace", "Style"), ("TimeEntryValue", "TimeEntryItem"), ("TimeEntryValue", "DateVal")}

# Read-only in the 2015 capture, writable in Rally's 2025 description (its MilestoneMutation lists
# Projects; KB-192565: users add projects to a milestone, an Editor's only).
WRITABLE_TODAY = {("Milestone", "Projects")}

PARENTS: dict[str, str] = {
    "Artifact": "WorkspaceDomainObject",
    "SchedulableArtifact": "Artifact",
    "Requirement": "SchedulableArtifact",
    "HierarchicalRequirement": "Requirement",
    "Defect": "SchedulableArtifact",
    "DefectSuite": "SchedulableArtifact",
    "TestSet": "SchedulableArtifact",
    "Task": "Artifact",
    "TestCase": "Artifact",
    "PortfolioItem": "Artifact",
    "WorkspacePermission": "UserPermission",
    "ProjectPermission": "UserPermission",
    "WebLinkDefinition": "AttributeDefinition",
    "PullRequest": "Connection",
}

# Collections and how to find their members.  Keys are (owner type, attribute).
INVERSE: dict[tuple[str, str], CollectionSpec] = {
    ("Artifact", "Discussion"): CollectionSpec("inverse", "ConversationPost", "Artifact"),
    ("Artifact", "Attachments"): CollectionSpec("inverse", "Attachment", "Artifact"),
    ("SchedulableArtifact", "Tasks"): CollectionSpec("inverse", "Task", "WorkProduct"),
    ("HierarchicalRequirement", "Children"): CollectionSpec("inverse", "HierarchicalRequirement", "Parent"),
    ("HierarchicalRequirement", "Defects"): CollectionSpec("inverse", "Defect", "Requirement"),
    ("HierarchicalRequirement", "TestCases"): CollectionSpec("inverse", "TestCase", "WorkProduct"),
    ("Defect", "TestCases"): CollectionSpec("inverse", "TestCase", "WorkProduct"),
    ("TestCase", "Results"): CollectionSpec("inverse", "TestCaseResult", "TestCase"),
    ("TestCase", "Steps"): CollectionSpec("inverse", "TestCaseStep", "TestCase"),
    ("TestCase", "Defects"): CollectionSpec("inverse", "Defect", "TestCase"),
    ("TestCaseResult", "Attachments"): CollectionSpec("inverse", "Attachment", "TestCaseResult"),
    ("Project", "Children"): CollectionSpec("inverse", "Project", "Parent"),
    ("Project", "Iterations"): CollectionSpec("inverse", "Iteration", "Project"),
    ("Project", "Releases"): CollectionSpec("inverse", "Release", "Project"),
    ("Project", "BuildDefinitions"): CollectionSpec("inverse", "BuildDefinition", "Project"),
    ("Workspace", "Projects"): CollectionSpec("inverse", "Project", "Workspace"),
    ("Workspace", "Children"): CollectionSpec("virtual", "Project", "root-projects"),
    ("Workspace", "TypeDefinitions"): CollectionSpec("inverse", "TypeDefinition", "Workspace"),
    ("Subscription", "Workspaces"): CollectionSpec("inverse", "Workspace", "Subscription"),
    ("RevisionHistory", "Revisions"): CollectionSpec("inverse", "Revision", "RevisionHistory"),
    ("PortfolioItem", "Children"): CollectionSpec("virtual", "PortfolioItem", "pi-children"),
    ("PortfolioItem/Feature", "UserStories"): CollectionSpec("inverse", "HierarchicalRequirement",
                                                             "PortfolioItem"),
    ("TestFolder", "Children"): CollectionSpec("inverse", "TestFolder", "Parent"),
    ("TestFolder", "TestCases"): CollectionSpec("inverse", "TestCase", "TestFolder"),
    ("User", "UserPermissions"): CollectionSpec("inverse", "UserPermission", "User"),
    ("TypeDefinition", "Attributes"): CollectionSpec("virtual", "AttributeDefinition", "typedef-attrs"),
    ("AttributeDefinition", "AllowedValues"): CollectionSpec("virtual", "AllowedAttributeValue",
                                                             "allowed-values"),
    ("AttributeDefinition", "AllowedQueryOperators"): CollectionSpec("virtual", "AllowedQueryOperator",
                                                                     "query-operators"),
    ("Iteration", "UserIterationCapacities"): CollectionSpec("inverse", "UserIterationCapacity",
                                                            "Iteration"),
    ("Milestone", "Artifacts"): CollectionSpec("reverse", "Artifact", "Milestones"),
    ("HierarchicalRequirement", "Successors"): CollectionSpec("reverse", "HierarchicalRequirement",
                                                              "Predecessors"),
    ("PortfolioItem", "Successors"): CollectionSpec("reverse", "PortfolioItem", "Predecessors"),
    ("Project", "TeamMembers"): CollectionSpec("reverse", "User", "TeamMemberships"),
    ("TestCase", "TestSets"): CollectionSpec("reverse", "TestSet", "TestCases"),
    ("DefectSuite", "Defects"): CollectionSpec("reverse", "Defect", "DefectSuites"),
    ("TimeEntryItem", "Values"): CollectionSpec("inverse", "TimeEntryValue", "TimeEntryItem"),
    ("Changeset", "Changes"): CollectionSpec("inverse", "Change", "Changeset"),
    ("BuildDefinition", "Builds"): CollectionSpec("inverse", "Build", "BuildDefinition"),
}

OPERATORS = {
    "DATE": ("=", "!=", ">", "<", ">=", "<="),
    "INTEGER": ("=", "!=", ">", "<", ">=", "<="),
    "QUANTITY": ("=", "!=", ">", "<", ">=", "<="),
    "DECIMAL": ("=", "!=", ">", "<", ">=", "<="),
    "RATING": ("=", "!=", ">", "<", ">=", "<="),
    "STATE": ("=", "!=", ">", "<", ">=", "<="),
    "STRING": ("=", "!=", ">", "<", ">=", "<=", "contains", "!contains"),
    "TEXT": ("contains", "!contains"),
    "OBJECT": ("=", "!="),
    "BOOLEAN": ("=", "!="),
    "COLLECTION": ("contains", "!contains"),
}


def _extra_types() -> list[dict[str, Any]]:
    """Types the capture lacks, in the same compact form as ``rally_schema.json``."""
    from . import catalog_today  # it builds on this module's AttrDef


    def t(name: str, path: str, prefix: str | None, *, abstract: bool = False, creatable: bool = True,
          queryable: bool = True, deletable: bool = True, ordinal: int = -1,
          display: str | None = None) -> dict[str, Any]:
        return {"ElementName": name, "TypePath": path, "Name": display or name,
                "DisplayName": display or name, "IDPrefix": prefix, "Abstract": abstract,
                "Creatable": creatable and not abstract, "Queryable": queryable, "ReadOnly": False,
                "Deletable": deletable and not abstract, "Restorable": not abstract, "Ordinal": ordinal,
                "UserListable": False}

    return [
        t("SchedulableArtifact", "SchedulableArtifact", None, abstract=True, display="Schedulable Artifact"),
        t("Requirement", "Requirement", None, abstract=True),
        t("PortfolioItem", "PortfolioItem", None, abstract=True, display="Portfolio Item"),
        t("Feature", "PortfolioItem/Feature", "F", ordinal=0),
        t("Initiative", "PortfolioItem/Initiative", "I", ordinal=1),
        t("Theme", "PortfolioItem/Theme", "T", ordinal=2),
        t("Epic", "PortfolioItem/Epic", "E", ordinal=3),
        t("State", "State", "ST", deletable=False),
        t("PreliminaryEstimate", "PreliminaryEstimate", "PE"),
        t("TestFolder", "TestFolder", "TF"),
        t("TestSet", "TestSet", "TS"),
        t("FlowState", "FlowState", None, display="Flow State"),
        t("Connection", "Connection", None, abstract=True),
        t("PullRequest", "PullRequest", "PR", display="Pull Request"),
        t("VSMProduct", "VSMProduct", None, display="VSM Product"),
        t("VSMComponent", "VSMComponent", None, display="VSM Component"),
        t("VSMChange", "VSMChange", None, display="VSM Change"),
        t("VSMDeploy", "VSMDeploy", None, display="VSM Deploy"),
        t("VSMIncident", "VSMIncident", None, display="VSM Incident"),
        t("VSMProductAnalyticsMetric", "VSMProductAnalyticsMetric", None, display="VSM Product Analytics Metric"),
        t("VSMTarget", "VSMTarget", None, display="VSM Target"),
        t("VSMMeasure", "VSMMeasure", None, display="VSM Measure"),
        t("VSMInvestmentCategorytoInvestmentIntentMap", "VSMInvestmentCategorytoInvestmentIntentMap", None,
          display="VSM Investment Category to Investment Intent Map"),
        *catalog_today.type_entries(t),
    ]


PI_LEVELS = ("Feature", "Initiative", "Theme", "Epic")
INVESTMENT_CATEGORIES = ("", "None", "Cost Savings", "Short Term Growth", "Strategic Growth", "Maintenance")


def _extra_attributes(base: dict[str, list[AttrDef]]) -> dict[str, list[AttrDef]]:
    """Attribute lists for the hand-added types (inheriting what they share with Artifact)."""
    from . import catalog_today  # it builds on this module's AttrDef

    art = list(base["Artifact"])
    defect = base["Defect"]
    sched_names = ["LastBuild", "LastRun", "PassingTestCaseCount", "ScheduleState", "ScheduleStatePrefix",
                   "TestCaseCount", "AcceptedDate", "Blocked", "BlockedReason", "Blocker",
                   "DragAndDropRank", "InProgressDate", "Iteration", "PlanEstimate", "Recycled",
                   "Release", "TaskActualTotal", "TaskEstimateTotal", "TaskRemainingTotal",
                   "TaskStatus", "Tasks", "Attachments", "FlowState", "FlowStateChangedDate"]
    by = {a.name: a for a in defect}
    sched = art + [by[n] for n in sched_names if n in by]
    hr = base["HierarchicalRequirement"]
    requirement = [a for a in hr if a.name in {x.name for x in sched} or a.name in ("Attachments",)]
    oid = iter(range(-90000, -99999, -1))

    pi_common = art + [
        _a("Attachments", "COLLECTION", next(oid), target="Attachment",
           coll=INVERSE[("Artifact", "Attachments")]),
        _a("State", "OBJECT", next(oid), target="State"),
        _a("PortfolioItemType", "OBJECT", next(oid), target="TypeDefinition", ro=True),
        _a("PortfolioItemTypeName", "STRING", next(oid), ro=True),
        _a("Parent", "OBJECT", next(oid), target="PortfolioItem"),
        _a("Children", "COLLECTION", next(oid), target="PortfolioItem", ro=True,
           coll=INVERSE[("PortfolioItem", "Children")]),
        _a("DirectChildrenCount", "INTEGER", next(oid), ro=True),
        _a("DragAndDropRank", "STRING", next(oid), ro=True, max_length=64),
        _a("Predecessors", "COLLECTION", next(oid), target="PortfolioItem", coll=CollectionSpec("link", "PortfolioItem")),
        _a("Successors", "COLLECTION", next(oid), target="PortfolioItem", coll=INVERSE[("PortfolioItem", "Successors")]),
        _a("PreliminaryEstimate", "OBJECT", next(oid), target="PreliminaryEstimate"),
        _a("RefinedEstimate", "QUANTITY", next(oid)),
        _a("InvestmentCategory", "STRING", next(oid), allowed=INVESTMENT_CATEGORIES),
        _a("PlannedStartDate", "DATE", next(oid)),
        _a("PlannedEndDate", "DATE", next(oid)),
        _a("ActualStartDate", "DATE", next(oid), ro=True),
        _a("ActualEndDate", "DATE", next(oid), ro=True),
        _a("StateChangedDate", "DATE", next(oid), ro=True),
        _a("LeafStoryCount", "INTEGER", next(oid), ro=True),
        _a("LeafStoryPlanEstimateTotal", "QUANTITY", next(oid), ro=True),
        _a("AcceptedLeafStoryCount", "INTEGER", next(oid), ro=True),
        _a("AcceptedLeafStoryPlanEstimateTotal", "QUANTITY", next(oid), ro=True),
        _a("UnEstimatedLeafStoryCount", "INTEGER", next(oid), ro=True),
        _a("PercentDoneByStoryCount", "DECIMAL", next(oid), ro=True),
        _a("PercentDoneByStoryPlanEstimate", "DECIMAL", next(oid), ro=True),
        _a("JobSize", "INTEGER", next(oid)),
        _a("TimeCriticality", "INTEGER", next(oid)),
        _a("UserBusinessValue", "INTEGER", next(oid)),
        _a("RROEValue", "INTEGER", next(oid)),
        _a("ValueScore", "INTEGER", next(oid)),
        _a("WSJFScore", "DECIMAL", next(oid), ro=True),
        _a("RiskScore", "INTEGER", next(oid)),
    ]
    feature = pi_common + [
        _a("UserStories", "COLLECTION", next(oid), target="HierarchicalRequirement", ro=True,
           coll=INVERSE[("PortfolioItem/Feature", "UserStories")]),
    ]
    state = [a for a in base["Tag"] if a.name in ("CreationDate", "ObjectID", "ObjectUUID", "VersionId",
                                                   "Subscription", "Workspace")] + [
        _a("Name", "STRING", next(oid), required=True, max_length=256),
        _a("Description", "TEXT", next(oid)),
        _a("OrderIndex", "INTEGER", next(oid), required=True),
        _a("TypeDef", "OBJECT", next(oid), target="TypeDefinition", required=True),
        _a("Enabled", "BOOLEAN", next(oid)),
        _a("WIPLimit", "INTEGER", next(oid)),
        _a("Color", "STRING", next(oid), max_length=128),
    ]
    base_meta = [a for a in base["Tag"] if a.name in ("CreationDate", "ObjectID", "ObjectUUID",
                                                       "VersionId", "Subscription", "Workspace")]
    estimate = base_meta + [
        _a("Name", "STRING", next(oid), required=True, max_length=256),
        _a("Value", "INTEGER", next(oid), required=True),
        _a("Description", "TEXT", next(oid)),
    ]
    folder = base_meta + [
        _a("FormattedID", "INTEGER", next(oid), schema="string", required=True, ro=True),
        _a("Name", "STRING", next(oid), required=True, max_length=256),
        _a("Project", "OBJECT", next(oid), target="Project", required=True),
        _a("Parent", "OBJECT", next(oid), target="TestFolder"),
        _a("Children", "COLLECTION", next(oid), target="TestFolder", ro=True,
           coll=INVERSE[("TestFolder", "Children")]),
        _a("TestCases", "COLLECTION", next(oid), target="TestCase", ro=True,
           coll=INVERSE[("TestFolder", "TestCases")]),
        _a("Description", "TEXT", next(oid)),
        _a("DragAndDropRank", "STRING", next(oid), ro=True, max_length=64),
    ]
    flow_state = base_meta + [
        _a("Name", "STRING", next(oid), required=True, max_length=256),
        _a("OrderIndex", "INTEGER", next(oid)),
        _a("ScheduleStateMapping", "STRING", next(oid), required=True, allowed=SCHEDULE_STATES),
        _a("WIPLimit", "INTEGER", next(oid)),
        _a("AgeThreshold", "INTEGER", next(oid)),
        _a("ExitPolicy", "STRING", next(oid), max_length=4000),
        _a("NonValueAdd", "BOOLEAN", next(oid)),
        _a("Project", "OBJECT", next(oid), target="Project", ro=True),
        _a("RevisionHistory", "OBJECT", next(oid), target="RevisionHistory", ro=True),
    ]
    testset = sched + [by["TestCaseStatus"]] + [
        _a("TestCases", "COLLECTION", next(oid), target="TestCase",
           coll=CollectionSpec("link", "TestCase")),
    ]
    def named(*extra: AttrDef, name_required: bool = True) -> list[AttrDef]:
        return [*base_meta, _a("Name", "STRING", next(oid), required=name_required, max_length=256),
                _a("Description", "TEXT", next(oid)), *extra]

    connection = named(
        _a("Artifact", "OBJECT", next(oid), target="Artifact", required=True),
        _a("ExternalID", "STRING", next(oid), required=True, max_length=256),
        _a("ExternalFormattedId", "STRING", next(oid), max_length=256),
        _a("Url", "STRING", next(oid), max_length=1024),
    )
    categories = ("Product Active Users", "Product Usage Rate", "Product Stickiness", "Product User Churn Rate",
                  "Product Repeat Users", "Product User Sentiment", "Product Custom")
    vsm = {
        "VSMProduct": named(_a("Components", "COLLECTION", next(oid), target="VSMComponent",
                               coll=CollectionSpec("link", "VSMComponent"))),
        "VSMComponent": named(),
        "VSMChange": named(_a("Revision", "STRING", next(oid), required=True),
                           _a("CommitTime", "DATE", next(oid)), _a("CommitMessage", "STRING", next(oid), max_length=4000),
                           _a("SourceUrl", "STRING", next(oid)), _a("SourceId", "STRING", next(oid)),
                           _a("Component", "OBJECT", next(oid), target="VSMComponent"), name_required=False),
        "VSMDeploy": named(_a("Component", "OBJECT", next(oid), target="VSMComponent", required=True),
                           _a("BuildId", "STRING", next(oid)), _a("MainRevision", "STRING", next(oid)),
                           _a("SourceUrl", "STRING", next(oid)), _a("SourceId", "STRING", next(oid)),
                           _a("TimeCreated", "DATE", next(oid)), _a("TimeDeployed", "DATE", next(oid)),
                           _a("IsSuccessful", "BOOLEAN", next(oid)), name_required=False),
        "VSMIncident": named(_a("Product", "OBJECT", next(oid), target="VSMProduct", required=True),
                             _a("OpenedDate", "DATE", next(oid)), _a("ResolvedDate", "DATE", next(oid)),
                             _a("Priority", "STRING", next(oid), allowed=("None", "Low", "Normal", "High", "Critical")),
                             _a("Status", "STRING", next(oid), allowed=("Open", "In Progress", "Resolved", "Closed"))),
        "VSMProductAnalyticsMetric": named(_a("Product", "OBJECT", next(oid), target="VSMProduct", required=True),
                                           _a("Category", "STRING", next(oid), allowed=categories),
                                           _a("Active", "BOOLEAN", next(oid))),
        "VSMTarget": named(_a("Metric", "OBJECT", next(oid), target="VSMProductAnalyticsMetric", required=True),
                           _a("Arg1", "DECIMAL", next(oid)), _a("Arg2", "DECIMAL", next(oid)),
                           _a("Operator", "STRING", next(oid), allowed=("<", "<=", "=", ">=", ">", "between")),
                           _a("TargetDate", "DATE", next(oid)), _a("Active", "BOOLEAN", next(oid)),
                           name_required=False),
        "VSMMeasure": named(_a("Metric", "OBJECT", next(oid), target="VSMProductAnalyticsMetric", required=True),
                            _a("Value", "DECIMAL", next(oid), required=True), _a("ValueTime", "DATE", next(oid)),
                            _a("SourceId", "STRING", next(oid)), name_required=False),
        "VSMInvestmentCategorytoInvestmentIntentMap": named(
            _a("InvestmentCategory", "STRING", next(oid),
               allowed=("", "Cost Savings", "Short Term Growth", "Strategic Growth", "Maintenance")),
            _a("InvestmentIntentName", "STRING", next(oid), required=True, allowed=("Innovate", "Scale", "Retain")),
            name_required=False),
    }
    return {
        **catalog_today.new_type_attributes(_a, base_meta, {"ScheduleState": by["ScheduleState"].allowed or ()}),
        "Connection": connection,
        "PullRequest": connection,
        **vsm,
        "SchedulableArtifact": sched,
        "Requirement": requirement,
        "PortfolioItem": pi_common,
        "Feature": feature,
        "Initiative": pi_common,
        "Theme": pi_common,
        "Epic": pi_common,
        "State": state,
        "PreliminaryEstimate": estimate,
        "TestFolder": folder,
        "TestSet": testset,
        "FlowState": flow_state,
    }


SCHEDULE_STATES = ("Defined", "In-Progress", "Completed", "Accepted")
# FlowState on SchedulableArtifact (wsapi-more.md §1.3): writable ref, read-only change date.
FLOW_ATTRS = [_a("FlowState", "OBJECT", -91010, target="FlowState"),
              _a("FlowStateChangedDate", "DATE", -91011, ro=True)]

# Attributes added to captured types (newer WSAPI fields, PI links).
ADDED_ATTRS: dict[str, list[AttrDef]] = {
    "HierarchicalRequirement": [
        _a("PortfolioItem", "OBJECT", -91001, target="PortfolioItem/Feature"),
        _a("Feature", "OBJECT", -91002, target="PortfolioItem/Feature", ro=True),
        *FLOW_ATTRS,
    ],
    "Defect": FLOW_ATTRS,
    "TestCaseResult": [_a("TestSet", "OBJECT", -91012, target="TestSet")],  # SPEC: writable
    "DefectSuite": FLOW_ATTRS,
    "TestCase": [
        _a("TestFolder", "OBJECT", -91003, target="TestFolder"),
        _a("TestSets", "COLLECTION", -91004, target="TestSet", ro=True,
           coll=INVERSE[("TestCase", "TestSets")]),
    ],
    "Milestone": [],
}


def _attr_from_json(owner: str, raw: dict[str, Any]) -> AttrDef:
    name = raw["ElementName"]
    atype = raw["AttributeType"]
    allowed: tuple[str, ...] | None = tuple(raw["AllowedValues"]) if raw["AllowedValues"] else None
    inline = raw["AllowedValues"] is not None
    rating = RATING_VALUES.get((owner, name))
    if atype == "RATING":
        allowed, inline = (rating or ("None",)), False
    target = raw["Target"]
    if target == "Requirement" and name == "Requirement":
        target = "HierarchicalRequirement"
    return AttrDef(name=name, display_name=raw["Name"], type=atype, schema_type=raw["SchemaType"],
                   oid=raw["oid"], required=raw["Required"],
                   read_only=raw["ReadOnly"] and (owner, name) not in WRITABLE_TODAY,
                   custom=raw["Custom"], constrained=raw["Constrained"] or bool(rating),
                   filterable=raw["Filterable"], hidden=raw["Hidden"], sortable=raw["Sortable"],
                   max_length=raw["MaxLength"], max_fraction=raw["MaxFractionalDigits"],
                   target=target, allowed=allowed, inline_allowed=inline,
                   create_only=(owner, name) in CREATE_ONLY)


class Catalog:
    """The built-in types of a Rally subscription (immutable after construction)."""

    def __init__(self) -> None:
        from . import catalog_today  # it builds on this module's AttrDef

        raw = json.loads(resources.files("pyral.emulator").joinpath("data/rally_schema.json").read_text())
        drop = {"AdministratableProject", "WritableProject"}
        raw_types = [t for t in raw["types"] if t["ElementName"] not in drop]
        base_attrs: dict[str, list[AttrDef]] = {}
        for t in raw_types:
            seen: set[str] = set()
            attrs = []
            for a in t["Attributes"]:
                if a["ElementName"] in seen:
                    continue
                seen.add(a["ElementName"])
                attrs.append(_attr_from_json(t["ElementName"], a))
            base_attrs[t["ElementName"]] = attrs + ADDED_ATTRS.get(t["ElementName"], [])
        extra = _extra_types()
        extra_attrs = _extra_attributes(base_attrs)
        extra_attrs = {name: catalog_today.retyped(name, attrs) for name, attrs in extra_attrs.items()}
        known = {name: {a.name for a in attrs} for name, attrs in [*base_attrs.items(), *extra_attrs.items()]}
        for name, added in catalog_today.added_attributes(known, _a).items():
            if name in extra_attrs:
                extra_attrs[name] = [*extra_attrs[name], *added]
            else:
                base_attrs[name] = [*base_attrs[name], *added]
        types: dict[str, TypeDef] = {}
        for order, t in enumerate(raw_types + extra):
            name = t["ElementName"]
            parent = PARENTS.get(name) or catalog_today.parents().get(name)
            if t["TypePath"].startswith("PortfolioItem/"):
                parent = "PortfolioItem"
            tdef = TypeDef(name=name, type_path=t["TypePath"], display_name=t["DisplayName"],
                           id_prefix=t["IDPrefix"], parent=parent or "WorkspaceDomainObject",
                           abstract=t["Abstract"], creatable=t["Creatable"], queryable=t["Queryable"],
                           read_only=t["ReadOnly"], deletable=t["Deletable"],
                           restorable=t["Restorable"], ordinal=t["Ordinal"],
                           user_listable=bool(t["UserListable"]), attrs=(), oid=-(1000 + order),
                           workspace_scoped=name not in ("Subscription", "User", "UserProfile",
                                                         "Workspace", "WorkspacePermission",
                                                         "ProjectPermission", "UserPermission"))
            types[t["TypePath"]] = tdef
        self._types: dict[str, TypeDef] = {}
        for path, tdef in types.items():
            source = extra_attrs.get(tdef.name) or base_attrs[tdef.name]
            self._types[path] = replace(tdef, attrs=tuple(self._with_collections(tdef, types, a) for a in source))
        self._lookup: dict[str, TypeDef] = {}
        for tdef in self._types.values():
            self._lookup.setdefault(tdef.type_path.lower(), tdef)
            self._lookup.setdefault(tdef.name.lower(), tdef)
            self._lookup.setdefault(tdef.type_path.lower().replace("/", ""), tdef)
        for alias, target in (("story", "HierarchicalRequirement"), ("userstory", "HierarchicalRequirement"),
                              ("users", "User"), ("subscriptions", "Subscription")):
            self._lookup[alias] = self._types[target]
        self._attr_by_oid: dict[int, tuple[TypeDef, AttrDef]] = {}
        for tdef in self._types.values():
            for a in tdef.attrs:
                self._attr_by_oid.setdefault(a.oid, (tdef, a))

    def _chain(self, name: str, types: dict[str, TypeDef]) -> list[str]:
        chain = []
        cur: str | None = name
        while cur:
            chain.append(cur)
            nxt = None
            for t in types.values():
                if t.name == cur or t.type_path == cur:
                    nxt = t.parent
                    chain[-1] = t.type_path
                    break
            cur = nxt if nxt and nxt != "WorkspaceDomainObject" else None
        return chain

    def _with_collections(self, tdef: TypeDef, types: dict[str, TypeDef], a: AttrDef) -> AttrDef:
        if a.type != "COLLECTION" or a.collection is not None:
            return a
        for owner in self._chain(tdef.type_path, types):
            spec = INVERSE.get((owner, a.name))
            if spec is not None:
                return replace(a, collection=spec)
        target = a.target or "DomainObject"
        return replace(a, collection=CollectionSpec("link", target))

    # -- lookups ---------------------------------------------------------------------------
    def types(self) -> list[TypeDef]:
        return list(self._types.values())

    def get(self, name: str) -> TypeDef | None:
        """A type by TypePath, ElementName or URL segment, case-insensitively."""
        return self._lookup.get(name.strip().lower())

    def attr_by_oid(self, oid: int) -> tuple[TypeDef, AttrDef] | None:
        return self._attr_by_oid.get(oid)

    def is_a(self, tdef: TypeDef, ancestor: str) -> bool:
        """True when ``tdef`` is ``ancestor`` or inherits from it (by ElementName or TypePath)."""
        cur: TypeDef | None = tdef
        while cur is not None:
            if ancestor in (cur.name, cur.type_path):
                return True
            cur = self.get(cur.parent) if cur.parent else None
        return False

    def concrete(self, tdef: TypeDef) -> list[TypeDef]:
        """The non-abstract types a query on ``tdef`` covers (itself, or its descendants)."""
        return [t for t in self._types.values() if not t.abstract and self.is_a(t, tdef.type_path)]

    @staticmethod
    def union(base: TypeDef, members: list[TypeDef]) -> TypeDef:
        """``base`` widened by the attributes every member has (``/artifact?types=a,b``).

        Sorting and filtering a multi-type query work on attributes common to the listed types
        (``DragAndDropRank`` on stories, defects and test sets, though Artifact itself lacks it).
        """
        if not members:
            return base
        extra = [a for a in members[0].attrs if a.name not in base.by_name
                 and all(a.name in m.by_name for m in members[1:])]
        return replace(base, attrs=base.attrs + tuple(extra)) if extra else base

    def defaults(self, tdef: TypeDef) -> dict[str, Any]:
        out: dict[str, Any] = {}
        chain: list[TypeDef] = []
        cur: TypeDef | None = tdef
        while cur is not None:
            chain.append(cur)
            cur = self.get(cur.parent) if cur.parent else None
        for t in reversed(chain):
            out.update(DEFAULTS.get(t.name, {}))
            out.update(DEFAULTS.get(t.type_path, {}))
        for a in tdef.attrs:
            if a.type == "RATING" and a.name not in out:
                out[a.name] = "None"
        return {k: v for k, v in out.items() if k in tdef.by_name}

    def required_on_create(self, tdef: TypeDef) -> list[AttrDef]:
        return [a for a in tdef.attrs
                if a.required and (not a.read_only or a.create_only) and a.type != "COLLECTION"
                and (tdef.name, a.name) not in NOT_REQUIRED_ON_CREATE]

    @staticmethod
    def operators(attr: AttrDef) -> tuple[str, ...]:
        return OPERATORS.get(attr.type, ())


@dataclass
class CustomAttr:
    """A workspace custom field as stored (an AttributeDefinition object)."""

    oid: int
    type_path: str
    name: str  # ElementName, always with the c_ prefix
    display_name: str
    attr_type: str
    allowed: tuple[str, ...] | None = None
    required: bool = False
    hidden: bool = False


@dataclass
class WorkspaceSchema:
    """The catalog as one workspace sees it: built-ins plus that workspace's custom fields."""

    catalog: Catalog
    customs: list[CustomAttr] = field(default_factory=list)
    _cache: dict[str, TypeDef] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    plans: dict[Any, Any] = field(default_factory=dict, repr=False)  # render plans (see render.py)

    def get(self, name: str) -> TypeDef | None:
        base = self.catalog.get(name)
        if base is None or not self.customs:
            return base
        with self._lock:
            hit = self._cache.get(base.type_path)
            if hit is None:
                extra = tuple(self._custom_attr(c) for c in self.customs
                              if self.catalog.is_a(base, c.type_path))
                hit = replace(base, attrs=base.attrs + extra) if extra else base
                self._cache[base.type_path] = hit
            return hit

    @staticmethod
    def _custom_attr(c: CustomAttr) -> AttrDef:
        schema_type = {"STRING": "string", "TEXT": "string", "INTEGER": "integer", "DECIMAL": "double",
                       "QUANTITY": "double", "BOOLEAN": "boolean", "DATE": "dateTime",
                       "WEB_LINK": "WebLink", "RATING": "string"}.get(c.attr_type, "string")
        return AttrDef(name=c.name, display_name=c.display_name, type=c.attr_type,
                       schema_type=schema_type, oid=c.oid, required=c.required, custom=True,
                       hidden=c.hidden, allowed=c.allowed, constrained=c.allowed is not None,
                       inline_allowed=c.attr_type != "RATING",
                       max_length=256 if c.attr_type == "STRING" else -1)

    def types(self) -> list[TypeDef]:
        return [t for t in (self.get(x.type_path) for x in self.catalog.types()) if t is not None]

    def version(self) -> str:
        """SchemaVersion: a 32-hex digest that changes whenever the custom fields change."""
        digest = hashlib.md5(usedforsecurity=False)
        for c in sorted(self.customs, key=lambda c: c.oid):
            digest.update(f"{c.oid}:{c.type_path}:{c.name}:{c.attr_type}:{c.allowed}".encode())
        return digest.hexdigest()


_CATALOG: Catalog | None = None
_CATALOG_LOCK = threading.Lock()


def catalog() -> Catalog:
    """The shared, immutable built-in catalog (loaded once, thread-safe)."""
    global _CATALOG
    with _CATALOG_LOCK:
        if _CATALOG is None:
            _CATALOG = Catalog()
        return _CATALOG
