"""Driver for tests/thirdparty/test_rally_tui.py: rally-tui 1.2.0 (PyPI), unmodified, against the emulator.

Runs in ``.venv-thirdparty-tui`` (our pyral) or ``.venv-thirdparty-tui-upstream`` (pyral 1.7.0) and
prints one JSON line per step: ``{"step", "ok", "value", "error", "logs", "pyral", "raw"}``.
``logs`` holds what rally-tui logged at WARNING and above during the step (it reports Rally's
errors there and returns None/False/[]); ``pyral`` counts the requests pyral sent (ours: at
``httpx.HTTPTransport``; upstream: at ``requests.Session.send``) and ``raw`` those rally-tui's
own httpx client sent (``httpx.AsyncHTTPTransport``).  The same scenario runs on the pyral-based
``RallyClient`` ("sync") and on the raw-httpx ``AsyncRallyClient`` ("async"); then the click CLI.
Configuration is rally-tui's own: RALLY_SERVER/RALLY_APIKEY/RALLY_WORKSPACE/RALLY_PROJECT, and the
emulator's certificate through REQUESTS_CA_BUNDLE (pyral) and SSL_CERT_FILE (httpx).
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import json
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

FLAVOUR = os.environ.get("DRIVER_FLAVOUR", "ours")
# rally-tui's own httpx client and its CLI do not touch pyral: the upstream run may leave them out.
PARTS = set(os.environ.get("DRIVER_PARTS", "app,sync,async,cli").split(","))


class Counts:
    def __init__(self) -> None:
        self.pyral = 0
        self.raw = 0
        self._lock = threading.Lock()

    def hit(self, kind: str) -> None:
        with self._lock:
            setattr(self, kind, getattr(self, kind) + 1)


COUNTS = Counts()


def install_counters() -> None:
    import httpx

    real_async = httpx.AsyncHTTPTransport.handle_async_request

    async def handle_async(self: Any, request: Any) -> Any:
        COUNTS.hit("raw")
        return await real_async(self, request)

    httpx.AsyncHTTPTransport.handle_async_request = handle_async  # type: ignore[method-assign]
    if FLAVOUR == "upstream":
        import requests

        real_send = requests.Session.send

        def send(self: Any, request: Any, **kwargs: Any) -> Any:
            COUNTS.hit("pyral")
            return real_send(self, request, **kwargs)

        requests.Session.send = send  # type: ignore[method-assign]
    else:
        real_handle = httpx.HTTPTransport.handle_request

        def handle(self: Any, request: Any) -> Any:
            COUNTS.hit("pyral")
            return real_handle(self, request)

        httpx.HTTPTransport.handle_request = handle  # type: ignore[method-assign]


class Captured(logging.Handler):
    """What rally-tui logs at WARNING and above (its error reporting)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname}: {record.getMessage()}")


LOGS = Captured()


def plain(value: Any) -> Any:
    """JSON-able form of rally-tui's models (dataclasses, dates, tuples)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return type(value).__name__


def emit(row: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(row, default=str) + "\n")
    sys.stdout.flush()


def begin() -> tuple[int, int]:
    LOGS.lines.clear()
    return COUNTS.pyral, COUNTS.raw


def record(name: str, start: tuple[int, int], value: Any, error: str | None) -> None:
    emit({"step": name, "ok": error is None, "value": plain(value), "error": error, "logs": list(LOGS.lines),
          "pyral": COUNTS.pyral - start[0], "raw": COUNTS.raw - start[1]})


async def step(name: str, fn: Callable[[], Any]) -> Any:
    """Run one step, print its row, return its (raw) value (None when it raised)."""
    start, value, error = begin(), None, None
    try:
        value = fn()
        if inspect.isawaitable(value):
            value = await value
    except BaseException as exc:  # noqa: BLE001 - the step's failure is the observation
        error = f"{type(exc).__name__}: {exc}"
    record(name, start, value, error)
    return value


def sync_step(name: str, fn: Callable[[], Any]) -> Any:
    """:func:`step` outside any event loop (the CLI runs its own)."""
    start, value, error = begin(), None, None
    try:
        value = fn()
    except BaseException as exc:  # noqa: BLE001
        error = f"{type(exc).__name__}: {exc}"
    record(name, start, value, error)
    return value


def brief(tickets: Any) -> Any:
    """The fields both clients fill, sorted by FormattedID (the order of types differs per client)."""
    if not isinstance(tickets, list):
        return tickets
    return sorted(tickets, key=lambda t: t.formatted_id)


async def scenario(side: str, client: Any, work: Path, story_id: str, other_id: str) -> None:
    """The protocol both rally-tui clients implement, with good and bad input."""
    from rally_tui.models import Owner

    await step(f"{side}.identity", lambda: {"workspace": client.workspace, "project": client.project,
                                            "user": client.current_user, "iteration": client.current_iteration})
    await step(f"{side}.tickets.default", lambda: brief(client.get_tickets()))
    await step(f"{side}.tickets.query", lambda: client.get_tickets('(Name contains "checkout")'))
    await step(f"{side}.tickets.bad-query", lambda: client.get_tickets("(Name = "))
    await step(f"{side}.tickets.bad-field", lambda: client.get_tickets('(NoSuchField = "x")'))
    story = await step(f"{side}.ticket", lambda: client.get_ticket(story_id))
    other = await step(f"{side}.ticket.other", lambda: client.get_ticket(other_id))
    await step(f"{side}.ticket.unknown", lambda: client.get_ticket("US999999"))
    await step(f"{side}.ticket.bad-id", lambda: client.get_ticket('US1" OR "1'))
    await step(f"{side}.discussions", lambda: client.get_discussions(story))
    await step(f"{side}.comment", lambda: client.add_comment(story, f"{side} comment <b>bold</b>"))
    await step(f"{side}.discussions.after", lambda: client.get_discussions(story))
    await step(f"{side}.points", lambda: client.update_points(story, 3.5))
    await step(f"{side}.points.bad", lambda: client.update_points(story, "lots"))
    await step(f"{side}.points.reread", lambda: client.get_ticket(story_id))
    await step(f"{side}.state", lambda: client.update_state(story, "Completed"))
    await step(f"{side}.state.unknown", lambda: client.update_state(story, "No Such State"))
    await step(f"{side}.state.reread", lambda: client.get_ticket(story_id))
    await step(f"{side}.iterations", lambda: client.get_iterations(count=4))
    await step(f"{side}.iterations.future", lambda: client.get_future_iterations(count=3))
    features = await step(f"{side}.features", lambda: client.get_features(count=5)) or []
    feature_id = features[0].formatted_id if features else "F1"
    await step(f"{side}.feature", lambda: client.get_feature(feature_id))
    await step(f"{side}.feature.unknown", lambda: client.get_feature("F999999"))
    await step(f"{side}.feature.children", lambda: brief(client.get_feature_children(feature_id)))
    await step(f"{side}.parent", lambda: client.set_parent(story, feature_id))
    await step(f"{side}.parent.unknown", lambda: client.set_parent(story, "F999999"))
    await step(f"{side}.parent.reread", lambda: client.get_ticket(story_id))
    users = await step(f"{side}.users", lambda: client.get_users(["Sally Submitter", "Dave Developer"])) or []
    await step(f"{side}.users.unknown", lambda: client.get_users(['Nobody "at" all']))
    dave = next((u for u in users if u.display_name == "Dave Developer"), None)
    await step(f"{side}.owner", lambda: client.assign_owner(other, dave))
    await step(f"{side}.owner.unknown", lambda: client.assign_owner(other, Owner("999999999", "Ghost")))
    await step(f"{side}.owner.reread", lambda: client.get_ticket(other_id))
    releases = await step(f"{side}.releases", lambda: client.get_releases(count=5)) or []
    release_name = releases[0].name if releases else "none"
    await step(f"{side}.release", lambda: client.get_release(release_name))
    await step(f"{side}.release.unknown", lambda: client.get_release("No such release"))
    await step(f"{side}.release.set", lambda: client.set_release(story, release_name))
    await step(f"{side}.release.set-unknown", lambda: client.set_release(story, "No such release"))
    await step(f"{side}.release.clear", lambda: client.set_release(story, None))
    await step(f"{side}.tags", lambda: client.get_tags())
    await step(f"{side}.tag.create", lambda: client.create_tag(f"{side}-tui-tag"))
    await step(f"{side}.tag.create-again", lambda: client.create_tag(f"{side}-tui-tag"))
    await step(f"{side}.tag.add", lambda: client.add_tag(story, f"{side}-tui-tag"))
    await step(f"{side}.tag.remove", lambda: client.remove_tag(story, f"{side}-tui-tag"))
    created = await step(f"{side}.create", lambda: client.create_ticket(
        f"{side} tui story", "HierarchicalRequirement", description="made by rally-tui", points=2))
    await step(f"{side}.create.defect", lambda: client.create_ticket(
        f"{side} tui defect", "Defect", description="broken", backlog=True))
    await step(f"{side}.create.bad-points", lambda: client.create_ticket(
        f"{side} tui half-written", "HierarchicalRequirement", points="many"))
    await step(f"{side}.create.bad-points.absent",
               lambda: client.get_tickets(f'(Name = "{side} tui half-written")'))
    batch = [t for t in (story, other) if t is not None]
    await step(f"{side}.bulk.state", lambda: client.bulk_update_state(batch, "In-Progress"))
    await step(f"{side}.bulk.points", lambda: client.bulk_update_points(batch, 5))
    await step(f"{side}.bulk.iteration", lambda: client.bulk_set_iteration(batch, client.current_iteration))
    await step(f"{side}.bulk.iteration-unknown", lambda: client.bulk_set_iteration(batch, "No such sprint"))
    await step(f"{side}.bulk.parent", lambda: client.bulk_set_parent(batch, feature_id))
    await step(f"{side}.bulk.owner", lambda: client.bulk_assign_owner(batch, dave))
    await step(f"{side}.bulk.reread", lambda: brief([client.get_ticket(story_id), client.get_ticket(other_id)])
               if side == "sync" else None)
    upload = work / f"{side}-notes.txt"
    upload.write_text(f"{side} attachment body\n")
    await step(f"{side}.attachment.upload", lambda: client.upload_attachment(story, str(upload)))
    attachments = await step(f"{side}.attachments", lambda: client.get_attachments(story)) or []
    target = work / f"{side}-downloaded.txt"
    await step(f"{side}.attachment.download", lambda: attachments and client.download_attachment(
        story, attachments[-1], str(target)))
    await step(f"{side}.attachment.content", lambda: target.read_text() if target.exists() else None)
    image = work / f"{side}-image.png"
    await step(f"{side}.embedded-image", lambda: client.download_embedded_image(
        f"/slm/attachment/{attachments[-1].object_id if attachments else 1}/image.png", str(image)))
    await step(f"{side}.search", lambda: client.search_tickets("checkout", limit=5))
    await step(f"{side}.summary", lambda: client.get_sprint_summary())
    if created is not None:
        await step(f"{side}.delete", lambda: client.delete_ticket(created.formatted_id))
        await step(f"{side}.delete.reread", lambda: client.get_ticket(created.formatted_id))
    await step(f"{side}.delete.unknown", lambda: client.delete_ticket("US999999"))


async def issue_10(client: Any) -> None:
    """Issue #10: a Task's absent PortfolioItem, read the way rally-tui reads it, costs no request."""
    tasks: list[Any] = []
    await step("sync.issue10.fetch", lambda: [t.FormattedID for t in tasks.extend(client._rally.get(
        "Task", fetch="FormattedID,Name,FlowState,Owner,PortfolioItem", query=f'(Owner.DisplayName = "{client.current_user}")',
        pagesize=5, limit=5)) or tasks])
    await step("sync.issue10.getattr", lambda: [[getattr(t, "PortfolioItem", None), hasattr(t, "PortfolioItem"),
                                                 getattr(t, "FlowState", None)] for t in tasks])


async def tui_app() -> None:
    """The Textual app, headless (``App.run_test``): its list, a ticket opened, points and state changed."""
    from rally_tui.app import RallyTUI
    from rally_tui.config import RallyConfig
    from rally_tui.widgets.ticket_detail import TicketDetail
    from rally_tui.widgets.ticket_list import TicketList
    from textual.widgets import Input, Static

    start = begin()
    app = RallyTUI(config=RallyConfig(), show_splash=False)  # connects with the pyral client
    record("app.connect", start, {"connected": app._connected, "user": app._client.current_user}, None)
    start = begin()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()  # mounted: the first page of "my tickets in this sprint" is loaded
        listing, detail = app.query_one(TicketList), app.query_one(TicketDetail)
        record("app.list", start, sorted(t.formatted_id for t in listing._tickets), None)

        async def open_ticket(prefix: str) -> Any:
            listing.index = [t.formatted_id[:2] for t in listing._tickets].index(prefix)
            await pilot.pause()
            return detail.ticket

        await step("app.open", lambda: open_ticket("US"))

        async def points(value: str) -> Any:
            app.action_set_points()
            await pilot.pause()
            app.screen.query_one("#points-input", Input).value = value
            await pilot.press("enter")
            await pilot.pause()
            error = app.screen.query_one("#points-error", Static) if app.screen is not app.screen_stack[0] else None
            shown = str(error.render()) if error is not None and error.display else None
            if error is not None:
                await pilot.press("escape")
                await pilot.pause()
            return {"points": detail.ticket.points if detail.ticket else None, "refused": shown}

        await step("app.points", lambda: points("8"))
        await step("app.points.bad", lambda: points("lots"))

        async def state(key: str) -> Any:
            app.action_set_state()
            await pilot.pause()
            await pilot.press(key)
            await pilot.pause()
            return detail.ticket.state if detail.ticket else None

        await step("app.state", lambda: state("3"))  # Completed
        await step("app.reread", lambda: app._client.get_ticket(detail.ticket.formatted_id) if detail.ticket else None)
        # A Task has neither PlanEstimate nor FlowState: pyral refuses, the app says so, nothing changes.
        await step("app.open.task", lambda: open_ticket("TA"))
        await step("app.points.task", lambda: points("2"))
        await step("app.state.task", lambda: state("3"))
        await step("app.reread.task", lambda: app._client.get_ticket(detail.ticket.formatted_id)
                   if detail.ticket else None)


def cli(work: Path) -> None:
    """Every CLI command, in-process through click's runner (each one opens its own AsyncRallyClient)."""
    from click.testing import CliRunner
    from rally_tui.cli.main import cli as app

    runner = CliRunner()

    def run(*args: str) -> Callable[[], Any]:
        def go() -> Any:
            result = runner.invoke(app, list(args), catch_exceptions=True)
            return {"exit": result.exit_code, "output": result.output,
                    "exception": None if result.exception is None or isinstance(result.exception, SystemExit)
                    else repr(result.exception)}
        return go

    upload = work / "cli-upload.txt"
    upload.write_text("cli attachment body\n")
    commands: list[tuple[str, tuple[str, ...]]] = [
        ("tickets", ("--format", "json", "tickets")),
        ("tickets.text", ("tickets",)),
        ("tickets.csv", ("--format", "csv", "tickets")),
        ("tickets.query", ("--format", "json", "tickets", "--query", '(Name contains "checkout")')),
        ("tickets.bad-query", ("--format", "json", "tickets", "--query", "(Name = ")),
        ("tickets.show", ("--format", "json", "tickets", "show", "US1")),
        ("tickets.show-unknown", ("--format", "json", "tickets", "show", "US999999")),
        ("tickets.show-bad-id", ("tickets", "show", "not-an-id")),
        ("tickets.create", ("--format", "json", "tickets", "create", "cli tui story", "--points", "3")),
        ("tickets.update", ("--format", "json", "tickets", "update", "US1", "--points", "8", "--name",
                            "cli renamed story")),
        ("tickets.update-bad-severity", ("--format", "json", "tickets", "update", "DE1", "--severity",
                                         "Not a severity")),
        ("tickets.update-unknown", ("--format", "json", "tickets", "update", "US999999", "--points", "1")),
        ("search", ("--format", "json", "search", "checkout")),
        ("summary", ("--format", "json", "summary")),
        ("iterations", ("--format", "json", "iterations")),
        ("releases", ("--format", "json", "releases")),
        ("features", ("--format", "json", "features")),
        ("features.show", ("--format", "json", "features", "show", "F1")),
        ("features.show-unknown", ("--format", "json", "features", "show", "F999999")),
        ("users", ("--format", "json", "users")),
        ("tags", ("--format", "json", "tags")),
        ("tags.create", ("--format", "json", "tags", "create", "cli-tui-tag")),
        ("tags.add", ("--format", "json", "tags", "add", "US1", "cli-tui-tag")),
        ("tags.remove", ("--format", "json", "tags", "remove", "US1", "cli-tui-tag")),
        ("tags.add-unknown", ("--format", "json", "tags", "add", "US999999", "cli-tui-tag")),
        ("discussions", ("--format", "json", "discussions", "US1")),
        ("comment", ("--format", "json", "comment", "US1", "cli comment")),
        ("comment.unknown", ("--format", "json", "comment", "US999999", "cli comment")),
        ("attachments.upload", ("--format", "json", "attachments", "upload", "US1", str(upload))),
        ("attachments.list", ("--format", "json", "attachments", "list", "US1")),
        ("attachments.download", ("--format", "json", "attachments", "download", "US1", "cli-upload.txt",
                                  "--output", str(work / "cli-downloaded.txt"))),
        ("attachments.list-unknown", ("--format", "json", "attachments", "list", "US999999")),
    ]
    for name, args in commands:
        sync_step(f"cli.{name}", run(*args))


async def main() -> None:
    install_counters()
    logging.getLogger("rally_tui").addHandler(LOGS)
    logging.getLogger("rally_tui").setLevel(logging.INFO)
    logging.getLogger("rally_tui").propagate = False
    from rally_tui.config import RallyConfig
    from rally_tui.services.async_rally_client import AsyncRallyClient
    from rally_tui.services.rally_client import RallyClient

    import pyral

    emit({"step": "versions", "ok": True, "value": {"pyral": ".".join(map(str, pyral.__version__))
                                                     if isinstance(pyral.__version__, tuple) else
                                                     str(pyral.__version__)}, "error": None, "logs": [],
          "pyral": 0, "raw": 0})
    work = Path(tempfile.mkdtemp(prefix="rally-tui-driver-"))
    sync_client = await step("sync.connect", lambda: RallyClient(RallyConfig()))
    async_client = AsyncRallyClient(RallyConfig())
    await step("async.connect", lambda: async_client.initialize())
    # Four stories of the current sprint, chosen before anything is written: two per client.
    sprint = await step("stories", lambda: brief(async_client.get_tickets(
        f'(Iteration.Name = "{async_client.current_iteration}")')))
    ids = [t.formatted_id for t in sprint or [] if t.ticket_type == "UserStory"][:4]
    try:
        if "app" in PARTS:
            await tui_app()  # first: the app lists Sally's tickets as the demo has them
        if sync_client is not None and "sync" in PARTS:
            await issue_10(sync_client)
            await scenario("sync", sync_client, work, ids[0], ids[1])
        if "async" in PARTS:
            await scenario("async", async_client, work, ids[2], ids[3])
    finally:
        await async_client.close()
    await step("bad.connect", lambda: RallyClient(RallyConfig(apikey="_not-a-real-key")))


if __name__ == "__main__":
    asyncio.run(main())
    if "cli" in PARTS:
        cli(Path(tempfile.mkdtemp(prefix="rally-tui-cli-")))
