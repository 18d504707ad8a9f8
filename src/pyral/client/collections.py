"""Collection membership (add/drop items) and ranking (DragAndDropRank)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import protocol as proto
from ..errors import (
    RallyRESTAPIError,
    RallyValidationError,
)
from ..model import state
from ..model.entities import (
    Artifact,
    Persistable,
)
from ..model.hydration import Hydrator
from ..protocol import Request
from .operation import Op, operation, send
from .users import Users


class Collections(Users):
    """Collection membership (add/drop items) and ranking (DragAndDropRank)."""

    @staticmethod
    def _target_path(target: Persistable) -> str:
        return target.ref

    def _invalidate(self, target: Persistable, collection: str) -> None:
        state.mark_stale(target, collection)

    def _add_collection_items(self, target: Persistable, collection_name: str,
                              items: Sequence[Persistable]) -> Op[Persistable | None]:
        """Add ``items`` to ``target.<collection_name>``; returns the re-read target."""
        if not items:
            return None
        types = {getattr(i, "_type", type(i).__name__) for i in items}
        if len(types) > 1:
            raise RallyRESTAPIError("addCollectionItems: all items must be of the same type")
        refs = [i.ref if isinstance(i, Persistable) else str(i) for i in items]
        _reply, env = yield from self._write(lambda key: proto.collection_change_request(
            self._target_path(target), collection_name, "add", refs, key=key))
        if env.errors:
            raise RallyValidationError(f"Unable to add items to {collection_name}: {env.errors[0]}",
                                       errors=env.errors, warnings=env.warnings)
        self._invalidate(target, collection_name)
        return (yield from self._single(target.ref))

    addCollectionItems = operation(_add_collection_items)

    def _drop_collection_items(self, target: Persistable, collection_name: str,
                               items: Sequence[Persistable]) -> Op[Any]:
        """Remove ``items`` from ``target.<collection_name>``; returns the response."""
        if not items:
            return None
        refs = [i.ref if isinstance(i, Persistable) else str(i) for i in items]
        for attempt in (0, 1):
            key = yield from self._obtain_security_token(refresh=attempt == 1)
            req = proto.collection_change_request(self._target_path(target), collection_name, "remove", refs,
                                                  key=key)
            reply = yield from send(req)
            resp = self._response_for(req, reply, Hydrator(self, complete=False, hydrated=True),
                                      limit=proto.MAX_ITEMS, threads=None)
            if not proto.retry_with_new_token(resp.errors, attempt=attempt, uses_api_key=bool(self.apikey)):
                break
        self._invalidate(target, collection_name)
        return resp

    dropCollectionItems = operation(_drop_collection_items)

    def _rank(self, target: Persistable, param: tuple[str, str], reference: Any = None) -> Op[Any]:
        for art in (target, reference):
            if art is not None and not isinstance(art, Artifact):
                raise RallyRESTAPIError(f"Unable to change DragAndDropRank for target "
                                        f"{art.__class__.__name__}, not an Artifact")
        type_path = proto.type_path_from_ref(target._ref)
        wrapper = type_path.rsplit("/", 1)[-1].lower()
        ws = self.contextHelper.currentWorkspaceRef()
        ctx_params = proto.context_params(ws, None)

        def build(key: str | None) -> Request:
            return proto.update_request(type_path, wrapper, target.oid, {"_ref": target.ref}, key=key,
                                        context=ctx_params, extra=[param])
        reply, env = yield from self._write(build)
        if env.errors:
            fid = target.__dict__.get("FormattedID", target.oid)
            raise RallyRESTAPIError(f"Unable to update the DragAndDropRank value for the target_artifact "
                                    f"{fid}, {env.errors[0]}", errors=env.errors)
        self._invalidate(target, "DragAndDropRank")
        return self._response_for(build(None), reply, Hydrator(self, complete=True, hydrated=True),
                                  limit=proto.MAX_ITEMS, threads=None)

    def _rank_above(self, reference_artifact: Persistable, target_artifact: Persistable) -> Op[Any]:
        """Rank ``target_artifact`` just above ``reference_artifact``."""
        return (yield from self._rank(target_artifact, ("rankAbove", reference_artifact.ref), reference_artifact))

    def _rank_below(self, reference_artifact: Persistable, target_artifact: Persistable) -> Op[Any]:
        """Rank ``target_artifact`` just below ``reference_artifact``."""
        return (yield from self._rank(target_artifact, ("rankBelow", reference_artifact.ref), reference_artifact))

    def _rank_to_top(self, target_artifact: Persistable) -> Op[Any]:
        """Rank ``target_artifact`` first."""
        return (yield from self._rank(target_artifact, ("rankTo", "TOP")))

    def _rank_to_bottom(self, target_artifact: Persistable) -> Op[Any]:
        """Rank ``target_artifact`` last."""
        return (yield from self._rank(target_artifact, ("rankTo", "BOTTOM")))

    rankAbove = operation(_rank_above)
    rankBelow = operation(_rank_below)
    rankToTop = operation(_rank_to_top)
    rankToBottom = operation(_rank_to_bottom)
    rankTop = rankToTop
    rankBottom = rankToBottom
