"""Entity classes for Rally types, with lazy loading of references and collections.

The class tree and names follow upstream pyral (``classFor`` maps Rally type names to
classes).  Differences, all deliberate:

* every instance holds the ``Rally`` instance that produced it (no module-global cache), and
  lazy loads go through that instance's public :class:`~pyral.model.loader.Loader` interface;
* a PortfolioItem subtype instance is of class ``PortfolioItem_<Sub>`` (a ``PortfolioItem``
  subclass), its ``_type`` and ``typePath`` are the real type path (``PortfolioItem/Feature``)
  and its ``ref`` is ``portfolioitem/feature/<oid>`` (upstream: class ``PortfolioItem``,
  ``_type == 'PortfolioItem'`` and ref ``feature/<oid>``);
* an attribute left out by a partial ``fetch`` list is loaded on first access (one GET of the
  whole object); only names the object really lacks raise ``AttributeError``;
* collections are fetched with ``fetch=true`` so their items arrive complete.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import (
    InvalidRallyTypeNameError,
    RallyNotFoundError,
    UnrecognizedAllowedValuesReference,
    UnreferenceableOIDError,
)
from ..protocol import ref_path
from .state import BOOKKEEPING, HYDRATED

if TYPE_CHECKING:  # pragma: no cover
    from .loader import Loader

__all__ = [
    "CustomField",
    "InvalidRallyTypeNameError",
    "Persistable",
    "UnreferenceableOIDError",
    "UnrecognizedAllowedValuesReference",
    "classFor",
    "class_for_type",
    "getEntityName",
    "validRallyType",
]

# names kept in an instance's __dict__ that are bookkeeping, not Rally attributes
_INTERNAL = BOOKKEEPING - {HYDRATED}  # upstream lists ``_hydrated`` among the attributes
_COMMON_DETAIL_ATTRS = ("oid", "ref", "ObjectID", "ObjectUUID", "_ref", "_CreatedAt", "_hydrated",
                        "Name", "Subscription", "Workspace", "FormattedID")


class Persistable:
    """Base of every Rally object: ``oid``, ``Name``, ``_ref``, ``ref`` and lazy attribute loading."""

    _type: ClassVar[str] = "Persistable"

    def __init__(self, oid: int | str | None, name: str | None, resource_url: str,
                 context: Any = None, rally: Loader | None = None) -> None:
        d = self.__dict__
        d["oid"] = oid
        d["Name"] = name if name is not None else "Unknown"
        d["_ref"] = resource_url
        d["_hydrated"] = False
        d["_complete"] = False
        d["_context"] = context
        d["_lazy"] = {}
        # A strong reference, as upstream's global cache gave: entities keep working (lazy
        # loads) for as long as the caller holds them, even if the Rally itself went out of scope.
        d["_rally_ref"] = rally

    # -- identity ------------------------------------------------------------------------
    @property
    def ref(self) -> str:
        """Service-relative ref, e.g. ``hierarchicalrequirement/5001`` or ``portfolioitem/feature/7``."""
        return ref_path(self.__dict__.get("_ref") or "")

    @property
    def rally(self) -> Loader | None:
        """The ``Rally`` instance this object came from (None after unpickling)."""
        rally: Loader | None = self.__dict__.get("_rally_ref")
        return rally

    # -- attribute access ----------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        found, value = self._lookup(name)
        if found:
            return value
        rally = self.rally
        if not self.__dict__.get("_complete") and rally is not None and not self._known_absent(name, rally):
            rally.load_all(self, name)
            found, value = self._lookup(name)
            if found:
                return value
        raise AttributeError(f"{self.__class__.__name__} instance has no attribute: '{name}'")

    def _known_absent(self, name: str, rally: Loader) -> bool:
        """True when a read cannot produce ``name``: it was fetched and Rally left it out, or
        the type's schema has no such attribute (so a lazy load would be a wasted request)."""
        fetched = self.__dict__.get("_fetched") or ()
        if name in fetched or ("c_" + name.replace(" ", "")) in fetched:
            return True
        return rally.schema_lacks(self, name)

    def load(self, *names: str) -> Any:
        """Load attributes this object lacks (collections page-wide where possible; no names: all).

        With ``AsyncRally`` this is the awaitable ``await item.load("Tasks")``; with ``Rally`` it
        loads at once (attribute access would too) and returns the object.
        """
        rally = self.rally
        if rally is None:
            raise UnreferenceableOIDError(f"{self.__class__.__name__} OID {self.oid}: no Rally instance")
        return rally.load(self, *names)

    def _lookup(self, name: str) -> tuple[bool, Any]:
        d = self.__dict__
        candidates = [name]
        if not name.startswith("c_"):
            candidates.append("c_" + name.replace(" ", ""))
        for cand in candidates:
            if cand in d:
                return True, d[cand]
            if cand in d.get("_lazy", {}):
                return True, self._expand_collection(cand)
        return False, None

    def _expand_collection(self, attr: str) -> Any:
        rally = self.rally
        if rally is None:
            raise UnreferenceableOIDError(f"{self.__class__.__name__} OID {self.oid}: no Rally instance")
        return rally.load_collection(self, attr)

    def attributes(self) -> list[str]:
        """Sorted attribute names (pending collections included, bookkeeping excluded)."""
        names = {k for k in self.__dict__ if k not in _INTERNAL}
        names.update(self.__dict__.get("_lazy", {}))
        return sorted(names)

    def __repr__(self) -> str:
        fid = self.__dict__.get("FormattedID")
        label = f"{fid} " if fid else ""
        return f"<{self.__class__.__name__} {label}oid={self.oid} Name={self.Name!r}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Persistable):
            return NotImplemented
        return bool(self.ref) and self.ref.lower() == other.ref.lower()

    def __hash__(self) -> int:
        return hash(self.ref.lower())

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_rally_ref"] = None
        state.pop("_page_group", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


class DomainObject(Persistable):
    """Abstract parent of the domain types."""


class WorkspaceDomainObject(DomainObject):
    """Abstract parent of every type that lives in a workspace."""

    def details(self) -> str:
        """A multi-line human-readable rendering of the object's attributes."""
        return _details(self)


def _render_value(value: Any) -> str:
    if isinstance(value, Persistable):
        extra = ""
        fid = value.__dict__.get("FormattedID")
        if fid:
            extra = f" FormattedID {fid}"
        if isinstance(value, User):
            extra = f" UserName {value.__dict__.get('UserName', '')} DisplayName " \
                    f"{value.__dict__.get('DisplayName', '')}"
        return f"{value.__class__.__name__}.ref ({value.ref}) (OID {value.oid} Name {value.Name}{extra})"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[" + ", ".join(_render_value(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


def _details(obj: Persistable, attrs: tuple[str, ...] | None = None) -> str:
    d = obj.__dict__
    lines = [f"{obj.__class__.__name__}"]
    order = list(attrs) if attrs else list(_COMMON_DETAIL_ATTRS)
    if not attrs:
        order += sorted(k for k in d if k not in _INTERNAL and k not in _COMMON_DETAIL_ATTRS)
        order += sorted(k for k in d.get("_lazy", {}) if k not in order)
    for name in order:
        if name == "ref":
            value: Any = obj.ref
        elif name in d:
            value = d[name]
        elif name in d.get("_lazy", {}):
            value = "<collection, not yet loaded>"
        else:
            continue
        label = name[2:] if name.startswith("c_") else name
        lines.append(f"    {label:<24}: {_render_value(value)}")
    return "\n".join(lines)


class CustomField:
    """A dict-valued attribute that is not a Rally object (e.g. a WEB_LINK value)."""

    def __init__(self, oid: Any = None, name: str | None = None, resource_url: str | None = None,
                 context: Any = None, **values: Any) -> None:
        self.oid = oid
        self.Name = name
        self._ref = resource_url
        for k, v in values.items():
            setattr(self, k, v)

    def attributes(self) -> list[str]:
        """Sorted attribute names."""
        return sorted(self.__dict__)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in sorted(self.__dict__.items()) if v is not None)
        return f"CustomField({inner})"


class Subscription(Persistable):
    """Rally ``Subscription``."""

class AllowedAttributeValue(Persistable):
    """Rally ``AllowedAttributeValue``."""

class AllowedQueryOperator(Persistable):
    """Rally ``AllowedQueryOperator``."""

class User(DomainObject):
    """Rally ``User``."""

class UserProfile(DomainObject):
    """Rally ``UserProfile``."""

class Workspace(DomainObject):
    """Rally ``Workspace``."""

class Blocker(DomainObject):
    """Rally ``Blocker``."""

class ProfileImage(DomainObject):
    """Rally ``ProfileImage``."""

class Scope(DomainObject):
    """Rally ``Scope``."""

class UserPermission(DomainObject):
    """Rally ``UserPermission``."""

class WorkspacePermission(UserPermission):
    """Rally ``WorkspacePermission``."""

class ProjectPermission(UserPermission):
    """Rally ``ProjectPermission``."""

class WorkspaceConfiguration(WorkspaceDomainObject):
    """Rally ``WorkspaceConfiguration``."""

class Type(WorkspaceDomainObject):
    """Rally ``Type``."""

class Program(WorkspaceDomainObject):
    """Rally ``Program``."""

class Project(WorkspaceDomainObject):
    """Rally ``Project``."""

class Release(WorkspaceDomainObject):
    """Rally ``Release``."""

class Iteration(WorkspaceDomainObject):
    """Rally ``Iteration``."""

class ArtifactNotification(WorkspaceDomainObject):
    """Rally ``ArtifactNotification``."""

class TypeDefinition(WorkspaceDomainObject):
    """Rally ``TypeDefinition``."""

class Attachment(WorkspaceDomainObject):
    """Rally ``Attachment``."""

class AttachmentContent(WorkspaceDomainObject):
    """Rally ``AttachmentContent``."""

class Build(WorkspaceDomainObject):
    """Rally ``Build``."""

class BuildDefinition(WorkspaceDomainObject):
    """Rally ``BuildDefinition``."""

class BuildMetric(WorkspaceDomainObject):
    """Rally ``BuildMetric``."""

class BuildMetricDefinition(WorkspaceDomainObject):
    """Rally ``BuildMetricDefinition``."""

class Change(WorkspaceDomainObject):
    """Rally ``Change``."""

class Changeset(WorkspaceDomainObject):
    """Rally ``Changeset``."""

class ConversationPost(WorkspaceDomainObject):
    """Rally ``ConversationPost``."""

class CapacityPlanAssignment(WorkspaceDomainObject):
    """Rally ``CapacityPlanAssignment``."""

class CapacityPlanItem(WorkspaceDomainObject):
    """Rally ``CapacityPlanItem``."""

class CapacityPlanProject(WorkspaceDomainObject):
    """Rally ``CapacityPlanProject``."""

class FlowState(WorkspaceDomainObject):
    """Rally ``FlowState``."""

class Milestone(WorkspaceDomainObject):
    """Rally ``Milestone``."""

class Preference(WorkspaceDomainObject):
    """Rally ``Preference``."""

class PreliminaryEstimate(WorkspaceDomainObject):
    """Rally ``PreliminaryEstimate``."""

class SCMRepository(WorkspaceDomainObject):
    """Rally ``SCMRepository``."""

class State(WorkspaceDomainObject):
    """Rally ``State``."""

class ScheduleState(WorkspaceDomainObject):
    """Rally ``ScheduleState``."""

class TestCaseStep(WorkspaceDomainObject):
    """Rally ``TestCaseStep``."""

class TestCaseResult(WorkspaceDomainObject):
    """Rally ``TestCaseResult``."""

class TestFolder(WorkspaceDomainObject):
    """Rally ``TestFolder``."""

class TestFolderStatus(WorkspaceDomainObject):
    """Rally ``TestFolderStatus``."""

class Tag(WorkspaceDomainObject):
    """Rally ``Tag``."""

class TimeEntryItem(WorkspaceDomainObject):
    """Rally ``TimeEntryItem``."""

class TimeEntryValue(WorkspaceDomainObject):
    """Rally ``TimeEntryValue``."""

class UserIterationCapacity(WorkspaceDomainObject):
    """Rally ``UserIterationCapacity``."""

class RecycleBinEntry(WorkspaceDomainObject):
    """Rally ``RecycleBinEntry``."""

class RevisionHistory(WorkspaceDomainObject):
    """Rally ``RevisionHistory``."""

class PortfolioItemPredecessorRelationship(WorkspaceDomainObject):
    """Rally ``PortfolioItemPredecessorRelationship``."""

class ObjectiveConversationPost(WorkspaceDomainObject):
    """Rally ``ObjectiveConversationPost``."""

class VSMProduct(WorkspaceDomainObject):
    """Rally ``VSMProduct``."""

class VSMComponent(WorkspaceDomainObject):
    """Rally ``VSMComponent``."""

class VSMInvestmentCategorytoInvestmentIntentMap(WorkspaceDomainObject):
    """Rally ``VSMInvestmentCategorytoInvestmentIntentMap``."""

class VSMChange(WorkspaceDomainObject):
    """Rally ``VSMChange``."""

class VSMDeploy(WorkspaceDomainObject):
    """Rally ``VSMDeploy``."""

class VSMIncident(WorkspaceDomainObject):
    """Rally ``VSMIncident``."""

class VSMMetric(WorkspaceDomainObject):
    """Rally ``VSMMetric``."""

class VSMProductAnalyticsMetric(WorkspaceDomainObject):
    """Rally ``VSMProductAnalyticsMetric``."""

class VSMOutcomeMetric(WorkspaceDomainObject):
    """Rally ``VSMOutcomeMetric``."""

class VSMTarget(WorkspaceDomainObject):
    """Rally ``VSMTarget``."""

class VSMMeasure(WorkspaceDomainObject):
    """Rally ``VSMMeasure``."""

class VSMOutcome(WorkspaceDomainObject):
    """Rally ``VSMOutcome``."""

class KeyResultData(WorkspaceDomainObject):
    """Rally ``KeyResultData``."""

class KeyResultActualValue(KeyResultData):
    """Rally ``KeyResultActualValue``."""

class KeyResultInterimTarget(KeyResultData):
    """Rally ``KeyResultInterimTarget``."""

class AttributeDefinition(WorkspaceDomainObject):
    """Rally ``AttributeDefinition``."""

class WebLinkDefinition(AttributeDefinition):
    """Rally ``WebLinkDefinition``."""

class Slice(WorkspaceDomainObject):
    """Rally ``Slice``."""

class Investment(Slice):
    """Rally ``Investment``."""

class CumulativeFlowData(WorkspaceDomainObject):
    """Rally ``CumulativeFlowData``."""

class ReleaseCumulativeFlowData(CumulativeFlowData):
    """Rally ``ReleaseCumulativeFlowData``."""

class IterationCumulativeFlowData(CumulativeFlowData):
    """Rally ``IterationCumulativeFlowData``."""

class CapacityPlan(WorkspaceDomainObject):
    """Rally ``CapacityPlan``."""

class WorkingCapacityAssignment(CapacityPlan):
    """Rally ``WorkingCapacityAssignment``."""

class WorkingCapacityPlan(CapacityPlan):
    """Rally ``WorkingCapacityPlan``."""

class PublishedCapacityPlan(CapacityPlan):
    """Rally ``PublishedCapacityPlan``."""

class BaseRankable(WorkspaceDomainObject):
    """Rally ``BaseRankable``."""

class Objective(BaseRankable):
    """Rally ``Objective``."""

class KeyResult(BaseRankable):
    """Rally ``KeyResult``."""

class Objective_StrategicObjective(Objective):
    """Rally ``Objective_StrategicObjective``."""

class Objective_BusinessObjective(Objective):
    """Rally ``Objective_BusinessObjective``."""

class Objective_ExecutionObjective(Objective):
    """Rally ``Objective_ExecutionObjective``."""

class Objective_GroupObjective(Objective):
    """Rally ``Objective_GroupObjective``."""

class Objective_TeamObjective(Objective):
    """Rally ``Objective_TeamObjective``."""

class Connection(WorkspaceDomainObject):
    """Rally ``Connection``."""

class PullRequest(Connection):
    """Rally ``PullRequest``."""

class Artifact(WorkspaceDomainObject):
    """Rally ``Artifact``."""

class Task(Artifact):
    """Rally ``Task``."""

class Defect(Artifact):
    """Rally ``Defect``."""

class TestCase(Artifact):
    """Rally ``TestCase``."""

class RankableArtifact(Artifact):
    """Rally ``RankableArtifact``."""

class ExternalContribution(RankableArtifact):
    """Rally ``ExternalContribution``."""

class SchedulableArtifact(Artifact):
    """Rally ``SchedulableArtifact``."""

class Requirement(SchedulableArtifact):
    """Rally ``Requirement``."""

class HierarchicalRequirement(Requirement):
    """Rally ``HierarchicalRequirement``."""

class DefectSuite(SchedulableArtifact):
    """Rally ``DefectSuite``."""

class TestSet(SchedulableArtifact):
    """Rally ``TestSet``."""

class Risk(SchedulableArtifact):
    """Rally ``Risk``."""

class PortfolioItem(Artifact):
    """Rally ``PortfolioItem``."""

class PortfolioItem_Strategy(PortfolioItem):
    """Rally ``PortfolioItem_Strategy``."""

class PortfolioItem_Initiative(PortfolioItem):
    """Rally ``PortfolioItem_Initiative``."""

class PortfolioItem_Theme(PortfolioItem):
    """Rally ``PortfolioItem_Theme``."""

class PortfolioItem_Feature(PortfolioItem):
    """Rally ``PortfolioItem_Feature``."""



class Revision(WorkspaceDomainObject):
    """Rally ``Revision`` (one entry of a RevisionHistory)."""

    def info(self) -> str:
        """``<RevisionNumber> <CreationDate> <User.Name> <Description>`` on one line."""
        d = self.__dict__
        user = d.get("User")
        user_name = getattr(user, "Name", "") if user is not None else ""
        return f"{d.get('RevisionNumber', '')} on {d.get('CreationDate', '')} by {user_name}: " \
               f"{d.get('Description', '')}"


_USER_DETAIL_ATTRS = ("oid", "ref", "ObjectID", "UserName", "DisplayName", "FirstName", "LastName",
                      "EmailAddress", "Disabled", "SubscriptionAdmin", "Role", "UserProfile")
_PROFILE_DETAIL_ATTRS = ("oid", "ref", "ObjectID", "DefaultWorkspace", "DefaultProject", "TimeZone",
                         "DateFormat", "DateTimeFormat", "EmailNotificationEnabled",
                         "SessionTimeoutSeconds", "SessionTimeoutWarning")


def _user_details(self: Persistable) -> str:
    return _details(self, _USER_DETAIL_ATTRS)


def _profile_details(self: Persistable) -> str:
    return _details(self, _PROFILE_DETAIL_ATTRS)


User.details = _user_details  # type: ignore[attr-defined]
UserProfile.details = _profile_details  # type: ignore[attr-defined]


def _connection_details(self: Persistable) -> str:
    return _details(self)


Connection.details = _connection_details  # type: ignore[method-assign]

PORTFOLIO_ITEM_SUB_TYPES = ("Strategy", "Theme", "Initiative", "Feature")  # upstream's order

# Upstream's name → class map (UserStory/Story are aliases; the misspelt key is upstream's).
classFor: dict[str, type[Persistable]] = {}
for _cls in list(globals().values()):
    if isinstance(_cls, type) and issubclass(_cls, Persistable) and _cls not in (
            Persistable, DomainObject, WorkspaceDomainObject, Scope, Slice, CapacityPlan,
            BaseRankable, Objective, CumulativeFlowData, KeyResultData):
        classFor[_cls.__name__] = _cls
classFor["UserStory"] = HierarchicalRequirement
classFor["Story"] = HierarchicalRequirement
classFor["OjbectiveConversationPost"] = ObjectiveConversationPost
for _sub in PORTFOLIO_ITEM_SUB_TYPES:
    classFor[f"PortfolioItem/{_sub}"] = classFor[f"PortfolioItem_{_sub}"]
for _cls in list(classFor.values()):
    _cls._type = _cls.__name__
for _sub in PORTFOLIO_ITEM_SUB_TYPES:
    classFor[f"PortfolioItem/{_sub}"]._type = f"PortfolioItem/{_sub}"

Story = UserStory = HierarchicalRequirement  # upstream's aliases

_CLASS_INDEX: dict[str, type[Persistable]] = {k.lower(): v for k, v in classFor.items()}
_dynamic_lock = threading.Lock()
_dynamic_classes: dict[str, type[Persistable]] = {}


def class_for_type(type_name: str) -> type[Persistable]:
    """The class for a Rally ``_type`` or TypePath (case-insensitive).

    Unknown PortfolioItem subtypes get a ``PortfolioItem_<Sub>`` subclass of ``PortfolioItem``;
    other unknown types a ``WorkspaceDomainObject`` subclass named after the type path.
    Dynamically made classes are shared process-wide (creation is locked and idempotent).
    """
    key = type_name.lower()
    cls = _CLASS_INDEX.get(key)
    if cls is not None:
        return cls
    with _dynamic_lock:
        cls = _dynamic_classes.get(key)
        if cls is None:
            parent: type[Persistable] = WorkspaceDomainObject
            head, _, tail = type_name.partition("/")
            if tail and head.lower() == "portfolioitem":
                parent = PortfolioItem
                name = f"PortfolioItem_{tail[:1].upper()}{tail[1:]}"
                official = f"PortfolioItem/{tail[:1].upper()}{tail[1:]}"
            else:
                name = type_name.replace("/", "_")
                official = type_name
            cls = type(name, (parent,), {"__doc__": f"Rally ``{official}`` (from the schema).",
                                         "__module__": __name__})
            cls._type = official
            _dynamic_classes[key] = cls
        return cls


def validRallyType(name: str) -> bool:
    """True when ``name`` is a built-in Rally entity name (case-insensitive)."""
    return name.replace(" ", "").lower() in _CLASS_INDEX or name.lower() == "user story"


def getEntityName(name: str) -> str:
    """Built-in official name for ``name`` (``Feature`` → ``PortfolioItem/Feature``)."""
    key = name.replace(" ", "").lower()
    if key in ("story", "userstory"):
        return "HierarchicalRequirement"
    if key in (s.lower() for s in PORTFOLIO_ITEM_SUB_TYPES):
        return f"PortfolioItem/{key.capitalize()}"
    cls = _CLASS_INDEX.get(key)
    if cls is None:
        raise InvalidRallyTypeNameError(name)
    return cls._type


# kept for upstream imports that catch it
NotFound = RallyNotFoundError
