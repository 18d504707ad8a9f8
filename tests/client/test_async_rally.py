"""AsyncRally against the emulator: the same operations as Rally, as coroutines, with no hidden I/O."""

from __future__ import annotations

import asyncio
import inspect
import io
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from client_helpers import CountingAsyncTransport

from pyral import AsyncRally, AsyncRallyRESTResponse, AttributeNotLoadedError, Rally
from pyral.client.operation import operation
from pyral.errors import RallyAuthError, RallyNotFoundError, RallyValidationError

T = TypeVar("T")


def run(emu: Any, scenario: Callable[[AsyncRally, CountingAsyncTransport], Awaitable[T]], *,
        delay: float = 0.0, **kwargs: Any) -> T:
    """Connect an AsyncRally (admin API key unless ``user`` is given) and run ``scenario`` in it."""
    async def main() -> T:
        transport = CountingAsyncTransport(delay=delay)
        if "user" not in kwargs:
            kwargs.setdefault("apikey", emu.admin_api_key)
        async with AsyncRally(emu.url, http_transport=transport, **kwargs) as rally:
            return await scenario(rally, transport)
    return asyncio.run(main())


def seed(emu: Any, count: int) -> None:
    with Rally(emu.url, apikey=emu.admin_api_key) as rally:
        made = rally.createMultiple("Story", [{"Name": f"story {i:05d}"} for i in range(count)])
        assert len(made) == count


def public_operations() -> list[str]:
    return sorted(name for name in dir(Rally) if not name.startswith("_")
                  and isinstance(inspect.getattr_static(Rally, name), operation))


def test_every_operation_is_a_coroutine_of_the_same_name_and_signature(emu: Any) -> None:
    names = public_operations()
    assert {"get", "find", "put", "create", "post", "update", "delete", "getCollection", "addCollectionItems",
            "dropCollectionItems", "rankAbove", "rankToBottom", "addAttachment", "getAttachments",
            "createMultiple", "updateMultiple", "getUserInfo", "getAllUsers", "typedef", "getAllowedValues",
            "setWorkspace", "getProjects", "obtainSecurityToken", "load"} <= set(names)
    sync_rally = Rally(emu.url, apikey=emu.admin_api_key)
    async_rally = AsyncRally(emu.url, apikey=emu.admin_api_key)  # connects only in ``async with``
    try:
        for name in names:
            assert inspect.getattr_static(Rally, name) is inspect.getattr_static(AsyncRally, name)  # one definition
            sync_method, async_method = getattr(sync_rally, name), getattr(async_rally, name)
            assert inspect.iscoroutinefunction(async_method) and not inspect.iscoroutinefunction(sync_method)
            assert inspect.signature(sync_method) == inspect.signature(async_method)
            assert sync_method.__name__ == async_method.__name__
        assert list(inspect.signature(sync_rally.get).parameters) == ["entity", "fetch", "query", "order", "kwargs"]
    finally:
        sync_rally.close()
        asyncio.run(async_rally.aclose())


def test_connect_query_and_concurrent_pages(emu: Any) -> None:
    emu.reset()
    seed(emu, 450)

    async def scenario(rally: AsyncRally, sent: CountingAsyncTransport) -> None:
        assert inspect.iscoroutinefunction(rally.get)
        sent.reset()
        resp = await rally.get("Story", fetch="Name", order="Name", pagesize=100)
        assert isinstance(resp, AsyncRallyRESTResponse)
        assert resp.resultCount == 450 and resp.errors == [] and bool(resp)
        names = [item.Name async for item in resp]
        assert names == [f"story {i:05d}" for i in range(450)]
        pages = [line for line in sent.lines() if line.lower() == "get hierarchicalrequirement"]
        assert len(pages) == 5 and len(sent.sent) == 5  # first page, then 4 further pages
        assert sent.max_in_flight == 4  # the sync client's automatic bound for more than two pages
        sent.reset()
        again = await rally.get("Story", fetch="Name", order="Name", pagesize=200, threads=2, limit=250)
        assert len(await again.all()) == 250 and len(sent.sent) == 2
        one = await rally.get("Story", fetch="Name", query='Name = "story 00007"', instance=True)
        assert one.Name == "story 00007"
        assert await rally.get("Story", query='Name = "nope"', instance=True) is None

    run(emu, scenario)


def test_unloaded_attributes_name_the_awaitable_and_load_page_wide(emu: Any) -> None:
    emu.reset()

    async def scenario(rally: AsyncRally, sent: CountingAsyncTransport) -> None:
        stories = [await rally.create("Story", {"Name": f"s{i}"}) for i in range(3)]
        for i, story in enumerate(stories):
            for k in range(2):
                await rally.create("Task", {"Name": f"t{i}.{k}", "WorkProduct": story.ref})
        shells = await (await rally.get("Story", fetch="Name,Tasks", order="Name")).all()
        with pytest.raises(AttributeNotLoadedError, match=r'await item\.load\("Tasks"\)'):
            _ = shells[0].Tasks
        with pytest.raises(AttributeNotLoadedError, match=r'await item\.load\("Description"\)'):
            _ = shells[0].Description
        sent.reset()
        assert await shells[0].load("Tasks") is shells[0]
        assert [t.Name for t in shells[0].Tasks] == ["t0.0", "t0.1"]
        await shells[1].load("Tasks")
        await shells[2].load("Tasks")
        assert [t.Name for t in shells[2].Tasks] == ["t2.0", "t2.1"]
        assert len(sent.sent) == 1  # the whole page's tasks in one query
        await shells[1].load("Description")
        assert shells[1].Description == "" and len(sent.sent) == 2

    run(emu, scenario)


def test_writes_batches_and_the_security_token(emu: Any) -> None:
    emu.reset()

    async def scenario(rally: AsyncRally, sent: CountingAsyncTransport) -> None:
        story = await rally.create("Story", {"Name": "a", "PlanEstimate": 3})
        assert story.FormattedID.startswith("US")
        assert sent.lines().count("GET security/authorize") == 1
        updated = await rally.update("Story", {"FormattedID": story.FormattedID, "Name": "b"})
        assert updated.Name == "b" and updated.PlanEstimate == 3
        with pytest.raises(RallyValidationError):
            await rally.create("Story", {"Name": "x", "Project": "InfinityDrain"})
        made = await rally.createMultiple("Story", [{"Name": f"m{i}"} for i in range(5)])
        assert [m["Name"] for m in made] == [f"m{i}" for i in range(5)] and not made.failures
        assert await rally.delete("Story", story.FormattedID) is True
        with pytest.raises(RallyNotFoundError):
            await rally.delete("Story", story.FormattedID)
        assert sent.lines().count("GET security/authorize") == 1  # obtained once, reused

    run(emu, scenario, user=emu.admin_user, password=emu.admin_password)


def test_context_collections_ranking_attachments_users(emu: Any) -> None:
    emu.reset()

    async def scenario(rally: AsyncRally, sent: CountingAsyncTransport) -> None:
        assert (await rally.getWorkspace()).Name == "Default Workspace"
        assert [p.Name for p in await rally.getProjects()] == ["Sample Project"]
        story = await rally.create("Story", {"Name": "tagged"})
        tags = [await rally.create("Tag", {"Name": f"tag{i}"}) for i in range(2)]
        again = await rally.addCollectionItems(story, "Tags", tags)
        await again.load("Tags")
        assert sorted(t.Name for t in again.Tags) == ["tag0", "tag1"]
        other = await rally.create("Story", {"Name": "other"})
        assert (await rally.rankAbove(story, other)).status_code == 200
        assert await rally.addAttachment(story, "notes.txt", content=b"hello")
        assert await rally.getAttachmentNames(story.FormattedID) == ["notes.txt"]
        assert (await rally.getAttachment(story, "notes.txt")).Content == b"hello"
        users = await rally.getAllUsers()
        assert [u.UserName for u in users] == [emu.admin_user]
        assert {"Open", "Closed"} <= set(await rally.getAllowedValues("Defect", "State"))
        assert (await rally.typedef("Feature")).TypePath == "PortfolioItem/Feature"

    run(emu, scenario)


def test_bad_credentials_and_bad_input(emu: Any) -> None:
    emu.reset()

    async def wrong_key() -> None:
        async with AsyncRally(emu.url, apikey="not-a-key"):
            raise AssertionError("connected with a wrong key")
    with pytest.raises(RallyAuthError):
        asyncio.run(wrong_key())

    async def scenario(rally: AsyncRally, sent: CountingAsyncTransport) -> None:
        with pytest.raises(ValueError, match="pagesize"):
            await rally.get("Story", pagesize=0)
        resp = await rally.get("Story", query="Fabulote = 3")  # a query Rally refuses
        assert resp.errors and not resp and await resp.all() == []

    run(emu, scenario)


def test_logging_masks_secrets(emu: Any) -> None:
    emu.reset()
    log = io.StringIO()

    async def scenario(rally: AsyncRally, sent: CountingAsyncTransport) -> None:
        rally.enableLogging(log)
        await rally.create("Story", {"Name": "logged"})
        await (await rally.get("Story", fetch="Name")).all()

    run(emu, scenario, user=emu.admin_user, password=emu.admin_password)
    text = log.getvalue()
    assert "hierarchicalrequirement" in text.lower() and "logged" in text
    assert emu.admin_password not in text
    assert "key=" not in text.replace("key=***", "")  # the security token is masked


def test_cancellation_leaves_no_request_half_counted_and_no_connection_leaked(emu: Any) -> None:
    emu.reset()
    seed(emu, 300)

    async def scenario(rally: AsyncRally, sent: CountingAsyncTransport) -> None:
        sent.reset()
        sent.delay = 0.2
        task = asyncio.ensure_future(rally.get("Story", fetch="Name", pagesize=20))
        while sent.in_flight == 0:
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        resp_task = asyncio.ensure_future(_all_pages(rally))
        while sent.in_flight < 4:  # the first page, then four further pages in flight
            await asyncio.sleep(0.001)
        resp_task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await resp_task
        assert sent.in_flight == 0 and sent.cancelled >= 5
        assert len(sent.sent) == sent.finished + sent.cancelled  # each request either finished or cancelled
        slots = rally._transport._slots
        assert slots is not None and slots._value == rally._transport.max_in_flight  # every slot given back
        pool = rally.session._transport._pool
        assert all(c.is_idle() or c.is_closed() for c in pool.connections)  # none left mid-request
        sent.delay = 0.0
        assert (await rally.get("Story", fetch="Name", pagesize=200)).resultCount == 300  # still usable
        with pytest.raises(TimeoutError):
            sent.delay = 0.5
            await asyncio.wait_for(rally.get("Story", fetch="Name"), timeout=0.05)
        sent.delay = 0.0
        assert (await rally.get("Story", fetch="Name", pagesize=1)).resultCount == 300

    run(emu, scenario)


async def _all_pages(rally: AsyncRally) -> list[Any]:
    resp = await rally.get("Story", fetch="Name", pagesize=20)
    return await resp.all()
