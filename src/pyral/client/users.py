"""Users, PortfolioItem states and attributes' allowed values."""

from __future__ import annotations

from typing import Any

from .. import protocol as proto
from ..errors import (
    RallyContextError,
    RallyRESTAPIError,
)
from ..model.hydration import Hydrator
from .operation import Op, computed, operation
from .scoping import Scoping

_ALL_USERS_FETCH = ("UserName,DisplayName,FirstName,LastName,MiddleName,ShortDisplayName,"
                    "OnpremLdapUsername,CreationDate,EmailAddress,LastPasswordUpdateDate,Disabled,"
                    "Subscription,SubscriptionAdmin,Role,UserPermissions,TeamMemberships,UserProfile,"
                    "TimeZone,DefaultWorkspace,DefaultProject,DateFormat,DateTimeFormat,"
                    "EmailNotificationEnabled,SessionTimeoutSeconds,SessionTimeoutWarning,ObjectID")


class Users(Scoping):
    """Users, PortfolioItem states and attributes' allowed values."""

    def _user_info(self, oid: Any = None, username: str | None = None, name: str | None = None) -> Op[Any]:
        """A ``User`` by oid, or a list of Users by ``username`` or display ``name``."""
        if oid:
            return (yield from self._single(f"User/{oid}"))
        if username:
            return (yield from self._get_all("User", fetch=True, query=f'UserName = "{username}"', project=None))
        if name:
            return (yield from self._get_all("User", fetch=True, query=f'DisplayName = "{name}"', project=None))
        raise RallyRESTAPIError("No specification provided to obtain User information")

    getUserInfo = operation(_user_info)

    def _all_users(self, workspace: str | None = None) -> Op[list[Any]]:
        """Every user of the subscription, with ``UserProfile`` fields fetched in the same pages."""
        ws_ref = self.contextHelper.currentWorkspaceRef()
        if workspace:
            ws = yield from self._with_loads(lambda: self.contextHelper.find_workspace(workspace))
            if ws is None:
                raise RallyContextError(f'Workspace specified: "{workspace}" not accessible with '
                                        "current credentials")
            ws_ref = ws.ref
        req = proto.query_request("users", fetch=_ALL_USERS_FETCH,
                                  query="((Disabled = true) OR (Disabled = false))",
                                  context=proto.context_params(ws_ref, None),
                                  pagesize=proto.MAX_PAGESIZE, start=1)
        resp = yield from self._response(req, Hydrator(self, complete=False, hydrated=True,
                                                       context=self.contextHelper.currentContext()))
        if not resp:
            return []
        return (yield from self._all_items(resp))

    getAllUsers = operation(_all_users)

    def _state(self, entity: str, state_name: str) -> Op[Any]:
        """The ``State`` object called ``state_name`` of a PortfolioItem type."""
        return (yield from self._get("State", fetch=True, query=[f'TypeDef.Name = "{entity}"', f'Name = "{state_name}"'],
                                     project=None, instance=True))

    getState = operation(_state)

    def _states(self, entity: str) -> Op[list[Any]]:
        """The ``State`` objects of a PortfolioItem type, by OrderIndex."""
        states = yield from self._get_all("State", fetch=True, query=f'TypeDef.Name = "{entity}"',
                                          order="OrderIndex,ObjectID", project=None)
        unique: dict[tuple[Any, Any], Any] = {}
        for state in states:
            unique[(state.__dict__.get("OrderIndex"), state.Name)] = state
        return sorted(unique.values(), key=lambda s: (s.__dict__.get("OrderIndex") or 0))

    getStates = operation(_states)

    def _allowed_values_now(self, entityName: str, attributeName: str, **kwargs: Any) -> list[Any] | None:
        """Allowed values of an attribute (strings), ``[True]`` for an object collection, or None."""
        item = self._typedef_now(entityName)
        if item is None:
            return None
        attr = next((a for a in item.Attributes if a.ElementName in (attributeName, f"c_{attributeName}")),
                    None)
        if attr is None:
            return None
        attr.resolveAllowedValues(self._allowed_values_loader)
        values = attr.allowed_value_strings()
        if not values and attr.AttributeType in ("COLLECTION", "OBJECT") and not attr.Custom:
            return [True]
        return values

    getAllowedValues = computed(_allowed_values_now)

    def _allowed_values_loader(self, ref: str) -> list[dict[str, Any]]:
        req = proto.collection_request(proto.ref_path(ref), fetch="true",
                                       context=proto.context_params(
                                           self.contextHelper.currentWorkspaceRef(), None))
        return self._load_now(req, True)
