"""Operations written once, driven by a sync and by an async client.

An operation is a generator method: it *yields* what it needs sent (an :class:`Exchange`, or a
:class:`Gather` of requests that may go concurrently) and *receives* the transport's replies;
it decides everything else through :mod:`pyral.protocol` and returns its result.  Decorated
with :class:`operation`, the same generator is a plain method on ``Rally`` (driven by
:meth:`Driver.run`) and a coroutine method of the same name and signature on ``AsyncRally``
(driven by :meth:`AsyncDriver.run`).  Neither driver knows what any operation does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Generator, Sequence
from dataclasses import dataclass
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from ..protocol import MAX_THREADS, Reply, Request

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Exchange:
    """Send one request and receive its reply (``log``: record it in the interaction log)."""

    request: Request
    log: bool = True


@dataclass(frozen=True)
class Gather:
    """Send several requests, at most ``limit`` at once; replies come back in request order."""

    requests: Sequence[Request]
    limit: int = MAX_THREADS


Step = Exchange | Gather
Op = Generator[Step, Any, T]


def send(request: Request, *, log: bool = True) -> Generator[Step, Any, Reply]:
    """``reply = yield from send(request)``: one exchange."""
    reply: Reply = yield Exchange(request, log)
    return reply


def gather(requests: Sequence[Request], limit: int = MAX_THREADS) -> Generator[Step, Any, list[Reply]]:
    """``replies = yield from gather(requests, limit)``: several exchanges, bounded concurrency."""
    if not requests:
        return []
    replies: list[Reply] = yield Gather(tuple(requests), limit)
    return replies


class Driver:
    """Runs operations synchronously (``Rally``)."""

    def _exchange(self, step: Exchange) -> Reply:
        raise NotImplementedError

    def _gather(self, step: Gather) -> list[Reply]:
        raise NotImplementedError

    def run(self, op: Op[T]) -> T:
        """Drive ``op`` to its result; a transport error is raised inside the operation."""
        reply: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = op.throw(error) if error is not None else op.send(reply)
            except StopIteration as done:
                result: T = done.value
                return result
            reply, error = None, None
            try:
                reply = self._exchange(step) if isinstance(step, Exchange) else self._gather(step)
            except Exception as exc:  # noqa: BLE001 - handed to the operation, which may handle it
                error = exc


class AsyncDriver:
    """Runs operations on an event loop (``AsyncRally``); cancelling the task closes the operation."""

    async def _exchange(self, step: Exchange) -> Reply:
        raise NotImplementedError

    async def _gather(self, step: Gather) -> list[Reply]:
        raise NotImplementedError

    async def run(self, op: Op[T]) -> T:
        """Drive ``op`` to its result; a transport error is raised inside the operation."""
        reply: Any = None
        error: BaseException | None = None
        try:
            while True:
                try:
                    step = op.throw(error) if error is not None else op.send(reply)
                except StopIteration as done:
                    result: T = done.value
                    return result
                reply, error = None, None
                try:
                    reply = await (self._exchange(step) if isinstance(step, Exchange) else self._gather(step))
                except Exception as exc:  # noqa: BLE001 - handed to the operation, which may handle it
                    error = exc
        finally:
            op.close()


class operation(Generic[P, T]):  # noqa: N801 - used as a decorator
    """Marks a generator method as an operation: a method on ``Rally``, a coroutine on ``AsyncRally``."""

    def __init__(self, fn: Callable[Concatenate[Any, P], Op[T]]) -> None:
        self.fn = fn
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> operation[P, T]: ...

    @overload
    def __get__(self, obj: AsyncDriver, owner: type) -> Callable[P, Coroutine[Any, Any, T]]: ...

    @overload
    def __get__(self, obj: Driver, owner: type) -> Callable[P, T]: ...

    def __get__(self, obj: Any, owner: type) -> Any:
        if obj is None:
            return self
        fn = self.fn
        if isinstance(obj, AsyncDriver):
            async def call_async(*args: Any, **kwargs: Any) -> Any:
                return await obj.run(fn(obj, *args, **kwargs))
            return functools.update_wrapper(call_async, fn)

        def call(*args: Any, **kwargs: Any) -> Any:
            return obj.run(fn(obj, *args, **kwargs))
        return functools.update_wrapper(call, fn)

    def op(self, obj: Any, *args: P.args, **kwargs: P.kwargs) -> Op[T]:
        """The generator itself, for ``yield from`` inside another operation."""
        return self.fn(obj, *args, **kwargs)
