"""Collection membership (add/drop items) and ranking (DragAndDropRank)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import protocol as proto
from ..errors import (
    RallyRESTAPIError,
    RallyValidationError,
)
from ..model.entities import (
    Artifact,
    Persistable,
)
from ..model.hydration import Hydrator
from ..protocol import Request
from .response import RallyRESTResponse
from .users import Users


class Collections(Users):
    """Collection membership (add/drop items) and ranking (DragAndDropRank)."""

    @staticmethod
    def _target_path(target: Persistable) -> str:
        return target.ref

    def _invalidate(self, target: Persistable, collection: str) -> None:
        d = target.__dict__
        d.pop(collection, None)
        d["_complete"] = False

    def addCollectionItems(self, target: Persistable, collection_name: str,
                           items: Sequence[Persistable]) -> Persistable | None:
        """Add ``items`` to ``target.<collection_name>``; returns the re-read target."""
        if not items:
            return None
        types = {getattr(i, "_type", type(i).__name__) for i in items}
        if len(types) > 1:
            raise RallyRESTAPIError("addCollectionItems: all items must be of the same type")
        refs = [i.ref if isinstance(i, Persistable) else str(i) for i in items]
        _http, env = self._write(lambda key: proto.collection_change_request(
            self._target_path(target), collection_name, "add", refs, key=key))
        if env.errors:
            raise RallyValidationError(f"Unable to add items to {collection_name}: {env.errors[0]}",
                                       errors=env.errors, warnings=env.warnings)
        self._invalidate(target, collection_name)
        return self._single(target.ref)

    def dropCollectionItems(self, target: Persistable, collection_name: str,
                            items: Sequence[Persistable]) -> RallyRESTResponse | None:
        """Remove ``items`` from ``target.<collection_name>``; returns the response."""
        if not items:
            return None
        refs = [i.ref if isinstance(i, Persistable) else str(i) for i in items]
        for attempt in (0, 1):
            req = proto.collection_change_request(self._target_path(target), collection_name, "remove", refs,
                                                  key=self.obtainSecurityToken(refresh=attempt == 1))
            resp = RallyRESTResponse(self, req, self._send(req),
                                     hydrator=Hydrator(self, complete=False, hydrated=True))
            if not proto.retry_with_new_token(resp.errors, attempt=attempt, uses_api_key=bool(self.apikey)):
                break
        self._invalidate(target, collection_name)
        return resp

    def _rank(self, target: Persistable, param: tuple[str, str], reference: Any = None) -> RallyRESTResponse:
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
        http, env = self._write(build)
        if env.errors:
            fid = target.__dict__.get("FormattedID", target.oid)
            raise RallyRESTAPIError(f"Unable to update the DragAndDropRank value for the target_artifact "
                                    f"{fid}, {env.errors[0]}", errors=env.errors)
        self._invalidate(target, "DragAndDropRank")
        req = build(None)
        return RallyRESTResponse(self, req, http, hydrator=Hydrator(self, complete=True, hydrated=True))

    def rankAbove(self, reference_artifact: Persistable, target_artifact: Persistable) -> RallyRESTResponse:
        """Rank ``target_artifact`` just above ``reference_artifact``."""
        return self._rank(target_artifact, ("rankAbove", reference_artifact.ref), reference_artifact)

    def rankBelow(self, reference_artifact: Persistable, target_artifact: Persistable) -> RallyRESTResponse:
        """Rank ``target_artifact`` just below ``reference_artifact``."""
        return self._rank(target_artifact, ("rankBelow", reference_artifact.ref), reference_artifact)

    def rankToTop(self, target_artifact: Persistable) -> RallyRESTResponse:
        """Rank ``target_artifact`` first."""
        return self._rank(target_artifact, ("rankTo", "TOP"))

    def rankToBottom(self, target_artifact: Persistable) -> RallyRESTResponse:
        """Rank ``target_artifact`` last."""
        return self._rank(target_artifact, ("rankTo", "BOTTOM"))

    rankTop = rankToTop
    rankBottom = rankToBottom
