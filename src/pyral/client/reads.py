"""Reads: queries (``get``/``find``), single reads, collection URLs and loads of entities."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .. import protocol as proto
from ..errors import RallyError, RallyRESTAPIError
from ..model import prefetch, state
from ..model.entities import Persistable
from ..model.hydration import Hydrator, fetch_names
from ..protocol import Envelope, Request
from ..query import format_fetch, format_order, format_query
from .core import NeedsLoad
from .names import Names
from .operation import Op, gather, operation, send
from .response import ResultPages
from .workspaces import RallyContext


class Reads(Names):
    """Reads: queries (``get``/``find``), single reads, collection URLs and loads of entities."""

    def _page_envelope(self, req: Request) -> Op[Envelope]:
        reply = yield from send(req)
        return proto.expect_page(reply, dict(req.params).get("start", "?"))

    def _response(self, req: Request, hydrator: Hydrator, *, limit: int = proto.MAX_ITEMS,
                  threads: int | None = None) -> Op[Any]:
        """The client's response for a query: its first page read, further pages on iteration."""
        reply = yield from send(req)
        resp = self._response_for(req, reply, hydrator, limit=limit, threads=threads)
        if self._log is not None:
            self._log.query_result(resp.status_code, req.path, resp.resultCount, resp.errors)
        return resp

    def _all_items(self, resp: ResultPages) -> Op[list[Any]]:
        """Every item of a response, its further pages fetched concurrently (the paging plan's bound)."""
        items = list(resp._serve_page(resp._first_page))
        starts = resp._further_starts()
        requests = [resp._page_request(start) for start in starts]
        try:
            replies = yield from gather(requests, proto.concurrency(resp.threads, len(starts)))
        except Exception as exc:  # network errors, timeouts
            raise resp._page_failure(starts[0], exc) from exc
        for start, reply in zip(starts, replies):
            page = list(proto.expect_page(reply, start).results)
            items.extend(resp._serve_page(page))
            if resp._done(page):
                break
        return items

    def _fetch_spec(self, official: str, fetch: Any) -> tuple[str, bool, bool]:
        """(fetch text, complete, hydrated) for a ``fetch`` argument."""
        if isinstance(fetch, tuple) and len(fetch) == 1 and isinstance(fetch[0], str):
            fetch = fetch[0]
        if isinstance(fetch, list | tuple):
            names = self._attribute_names_now(official, {str(n).strip(): None for n in fetch if
                                                         str(n).strip()})
            text = ",".join(names) or "false"
        else:
            text = format_fetch(fetch)
        if text == "true":
            return text, True, True
        if text == "false":
            return text, False, False
        return text, False, True

    def _query_plan(self, entity: str, fetch: Any, kwargs: dict[str, Any]
                    ) -> tuple[str, RallyContext | None, list[tuple[str, str]], tuple[str, bool, bool]]:
        official = self._official_name(entity)
        if kwargs.get("_disableAugments"):
            ctx: RallyContext | None = None
            params: list[tuple[str, str]] = []
        else:
            ctx, params = self.contextHelper.resolve(kwargs)
        return official, ctx, params, self._fetch_spec(official, fetch)

    def _get(self, entity: str, fetch: Any = False, query: Any = None, order: Any = None,
             **kwargs: Any) -> Op[Any]:
        """Query ``entity``; returns a :class:`RallyRESTResponse` (or an instance, see ``instance``).

        kwargs: ``instance, pagesize, start, limit, workspace, project, projectScopeUp,
        projectScopeDown, threads``.  ``instance=True`` returns the item when exactly one
        matches, None when none does, and the response otherwise.
        """
        official, ctx, params, (fetch_text, complete, hydrated) = yield from self._with_loads(
            lambda: self._query_plan(entity, fetch, kwargs))
        query_text = format_query(query) if query not in (None, "", [], {}, ()) else ""
        order_text = format_order(order) if order else ""
        start = proto.checked_start(kwargs.get("start", 1))
        limit = proto.checked_limit(kwargs.get("limit", proto.MAX_ITEMS))
        pagesize = (proto.default_pagesize(limit) if "pagesize" not in kwargs
                    else proto.clamp_pagesize(kwargs["pagesize"]))
        threads = kwargs.get("threads")
        req = proto.query_request(official, fetch=fetch_text, query=query_text or None,
                                  order=order_text or None, context=params, pagesize=pagesize,
                                  start=start)
        self.hydration = "full" if hydrated else "shell"
        hydrator = Hydrator(self, complete=complete, hydrated=hydrated, context=ctx,
                            fetched=fetch_names(fetch_text))
        resp = yield from self._response(req, hydrator, limit=limit,
                                         threads=int(threads) if threads is not None else None)
        if kwargs.get("instance"):
            if resp.errors:
                return resp
            if resp.resultCount == 1:
                return resp._first_item()
            if resp.resultCount == 0:
                return None
        return resp

    get = operation(_get)
    find = get

    def _get_all(self, entity: str, **kwargs: Any) -> Op[list[Any]]:
        """Every item of ``get(entity, **kwargs)`` as a list (raises nothing for a refused query)."""
        resp = yield from self._get(entity, **kwargs)
        return (yield from self._all_items(resp))

    def _single(self, path: str, *, ctx: RallyContext | None = None,
                workspace_ref: str | None = None) -> Op[Persistable]:
        """Read one object by its service-relative path; raises on failure."""
        ws_ref = workspace_ref or (ctx.workspace_ref if ctx else self.contextHelper.currentWorkspaceRef())
        path_req = proto.read_request(path, context=proto.context_params(ws_ref, None))
        reply = yield from send(path_req)
        inst = Hydrator(self, complete=True, hydrated=True, context=ctx).make(proto.expect_object(reply, path))
        assert isinstance(inst, Persistable)
        return inst

    def schema_lacks(self, inst: Persistable, name: str) -> bool:
        """True when the schema of ``inst``'s type (loaded once per workspace) has no ``name`` (:class:`Loader`)."""
        d = inst.__dict__
        typ = d.get("typePath") or d.get("_type") or inst._type
        ctx = state.context_of(inst)
        try:
            schema = self._schema(getattr(ctx, "workspace_ref", None))
        except (RallyError, NeedsLoad):
            return False  # unknown: let the read decide
        item = schema.find(str(typ))
        return item is not None and item.attribute(name) is None

    # -- loads of entities ------------------------------------------------------------------
    def load_all(self, inst: Persistable, name: str | None = None) -> None:
        """:class:`~pyral.model.loader.Loader`: each client decides (load now, or refuse)."""
        raise NotImplementedError

    def load_collection(self, inst: Persistable, attr: str) -> Any:
        """:class:`~pyral.model.loader.Loader`: each client decides (load now, or refuse)."""
        raise NotImplementedError

    def _load_all(self, inst: Persistable) -> Op[None]:
        """Load every attribute of ``inst`` (one GET), in place."""
        with self._hold(self._stripe(inst)):
            if state.is_complete(inst):
                return
            ref = inst.__dict__.get("_ref")
            if not ref:
                inst.__dict__[state.COMPLETE] = True
                return
            ctx = state.context_of(inst)
            ws_ref = getattr(ctx, "workspace_ref", None) or self.contextHelper.currentWorkspaceRef()
            req = proto.read_request(proto.ref_path(ref), context=proto.context_params(ws_ref, None))
            if self._log is not None:
                self._log.attribute_get(req.resource())
            reply = yield from send(req, log=False)
            obj = proto.expect_full_object(reply, f"{inst.__class__.__name__} OID {inst.oid}")
            Hydrator(self, complete=True, hydrated=True, context=ctx).fill(inst, obj)
            state.mark_loaded(inst)

    def _load_collection(self, inst: Persistable, attr: str) -> Op[Any]:
        """Fetch a pending collection attribute (all pages, items complete) and cache it."""
        with self._hold(self._stripe(inst)):
            d = inst.__dict__
            if attr in d:
                return d[attr]
            url = state.pending(inst)[attr]
            ctx = state.context_of(inst)
            ws_ref = getattr(ctx, "workspace_ref", None) or self.contextHelper.currentWorkspaceRef()
            hydrator = Hydrator(self, complete=True, hydrated=True, context=ctx)
            inverse = prefetch.inverse_for(d.get("_ref") or "", attr)
            group = state.page_group(inst)
            raws = None
            if group is not None and inverse is not None:
                raws = yield from self._page_members(group, attr, inverse, d.get("_ref") or "", ws_ref)
            if raws is not None:
                items = [hydrator.make(raw) for raw in raws]
            else:
                req = proto.collection_request(proto.ref_path(url), fetch="true",
                                               order=inverse.order if inverse else None,
                                               context=proto.context_params(ws_ref, None))
                if self._log is not None:
                    self._log.attribute_get(req.resource())
                resp = yield from self._response(req, hydrator)
                if resp.errors:
                    raise RallyRESTAPIError(f"Unable to load {attr}: {resp.errors[0]}", errors=resp.errors)
                items = yield from self._all_items(resp)
            state.settle(inst, attr, items)
            return items

    def _page_members(self, group: prefetch.PageGroup, attr: str, inverse: prefetch.Inverse,
                      owner_ref: str, ws_ref: str | None) -> Op[list[dict[str, Any]] | None]:
        """Members of ``attr`` for every item of a page, loaded once (see :mod:`pyral.model.prefetch`)."""
        with self._hold(group.lock):
            if attr not in group.loaded:
                owners = [ref for ref, _ in group.owners(attr)]
                if len(owners) < 2:
                    return None  # nothing to share: a plain collection read is as cheap
                requests = [proto.query_request(
                    inverse.member, fetch="true",
                    query=prefetch.member_query(inverse, owners[start:start + prefetch.CHUNK]),
                    order=inverse.order, context=[*proto.context_params(ws_ref, None), ("project", "null")],
                    pagesize=proto.MAX_PAGESIZE) for start in range(0, len(owners), prefetch.CHUNK)]
                if self._log is not None:
                    for req in requests:
                        self._log.attribute_get(req.resource())
                try:  # one query per chunk of owners, sent together
                    members = yield from self._fetch_all_raw_many(requests)
                except RallyRESTAPIError:
                    group.loaded[attr] = {}  # the page-wide query was refused: each item reads its own
                else:
                    group.store(attr, inverse, members)
            return group.members(attr, owner_ref)

    def _load(self, item: Persistable, *names: str) -> Op[Persistable]:
        """Load what ``item`` lacks: the named collections (for its whole page at once where Rally
        allows) and other named attributes (one read of the object); no names: the whole object."""
        d = item.__dict__
        if not names:
            yield from self._load_all(item)
        for name in names:
            for attempt in (0, 1):
                lazy = state.pending(item)
                cand = next((c for c in (name, "c_" + name.replace(" ", "")) if c in lazy or c in d), None)
                if cand is not None and cand in lazy:
                    yield from self._load_collection(item, cand)
                if cand is not None or state.is_complete(item) or attempt:
                    break
                yield from self._load_all(item)
        return item

    load = operation(_load)

    def _get_collection(self, collection_url: str, **kwargs: Any) -> Op[Any]:
        """Query a collection URL (any scheme/host: only the path after ``/v2.0/`` is used)."""
        parts = urlsplit(collection_url)
        path = proto.ref_path(parts.path if parts.scheme else collection_url.split("?")[0])
        given = dict(parse_qsl(parts.query, keep_blank_values=True))
        fetch = given.pop("fetch", kwargs.get("fetch", "true"))
        fetch_text = format_fetch(fetch)
        params = [] if kwargs.get("_disableAugments") else proto.context_params(
            self.contextHelper.currentWorkspaceRef(), None)
        req = proto.collection_request(path, fetch=fetch_text, query=given.get("query") or None,
                                       order=given.get("order") or None, context=params,
                                       pagesize=proto.clamp_pagesize(given.get("pagesize",
                                                                               proto.MAX_PAGESIZE)),
                                       start=proto.checked_start(given.get("start", 1)))
        complete = fetch_text == "true"
        resp = yield from self._response(req, Hydrator(self, complete=complete, hydrated=fetch_text != "false",
                                                       context=self.contextHelper.currentContext(),
                                                       fetched=fetch_names(fetch_text)))
        return resp

    getCollection = operation(_get_collection)
