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
import inspect
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


class Stepper(Generic[T]):
    """Feeds an operation the reply to its last step (or the error sending it raised) and hands
    back its next step; ``None`` when it has finished, its result then in :attr:`result`."""

    def __init__(self, op: Op[T]) -> None:
        self.op = op
        self.reply: Any = None
        self.error: BaseException | None = None

    def next_step(self) -> Step | None:
        try:
            step = self.op.throw(self.error) if self.error is not None else self.op.send(self.reply)
        except StopIteration as done:
            self.result: T = done.value
            return None
        self.reply, self.error = None, None
        return step


class Driver:
    """Runs operations synchronously (``Rally``)."""

    def _exchange(self, step: Exchange) -> Reply:
        raise NotImplementedError

    def _gather(self, step: Gather) -> list[Reply]:
        raise NotImplementedError

    def run(self, op: Op[T]) -> T:
        """Drive ``op`` to its result; a transport error is raised inside the operation."""
        stepper = Stepper(op)
        while (step := stepper.next_step()) is not None:
            try:
                stepper.reply = self._exchange(step) if isinstance(step, Exchange) else self._gather(step)
            except Exception as exc:  # noqa: BLE001 - handed to the operation, which may handle it
                stepper.error = exc
        return stepper.result


class AsyncDriver:
    """Runs operations on an event loop (``AsyncRally``); cancelling the task closes the operation."""

    async def _exchange(self, step: Exchange) -> Reply:
        raise NotImplementedError

    async def _gather(self, step: Gather) -> list[Reply]:
        raise NotImplementedError

    async def run(self, op: Op[T]) -> T:
        """Drive ``op`` to its result; a transport error is raised inside the operation."""
        stepper = Stepper(op)
        try:
            while (step := stepper.next_step()) is not None:
                try:
                    stepper.reply = await (self._exchange(step) if isinstance(step, Exchange)
                                           else self._gather(step))
                except Exception as exc:  # noqa: BLE001 - handed to the operation, which may handle it
                    stepper.error = exc
            return stepper.result
        finally:
            op.close()


class operation(Generic[P, T]):  # noqa: N801 - used as a decorator
    """Marks a generator method as an operation: a method on ``Rally``, a coroutine on ``AsyncRally``."""

    def __init__(self, fn: Callable[Concatenate[Any, P], Op[T]]) -> None:
        self.fn = fn
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]
        params = list(inspect.signature(fn).parameters.values())[1:]  # the bound method's: no ``self``
        self.signature = inspect.signature(fn).replace(parameters=params,
                                                      return_annotation=inspect.Signature.empty)

    def __set_name__(self, owner: type, name: str) -> None:
        if not hasattr(self, "name"):  # an alias (``find = get``) keeps the first name
            self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> operation[P, T]: ...

    @overload
    def __get__(self, obj: AsyncDriver, owner: type) -> Callable[P, Coroutine[Any, Any, T]]: ...

    @overload
    def __get__(self, obj: Driver, owner: type) -> Callable[P, T]: ...

    @overload
    def __get__(self, obj: Any, owner: type) -> Callable[P, Any]: ...

    def __get__(self, obj: Any, owner: type) -> Any:
        if obj is None:
            return self
        fn = self.fn
        if isinstance(obj, AsyncDriver):
            async def call_async(*args: Any, **kwargs: Any) -> Any:
                return await obj.run(fn(obj, *args, **kwargs))
            return self._named(functools.update_wrapper(call_async, fn))

        def call(*args: Any, **kwargs: Any) -> Any:
            return obj.run(fn(obj, *args, **kwargs))
        return self._named(functools.update_wrapper(call, fn))

    def _named(self, call: Any) -> Any:
        call.__name__ = getattr(self, "name", call.__name__)
        call.__qualname__ = call.__name__
        call.__signature__ = self.signature
        del call.__wrapped__  # the generator is not what callers call
        return call

    def op(self, obj: Any, *args: P.args, **kwargs: P.kwargs) -> Op[T]:
        """The generator itself, for ``yield from`` inside another operation."""
        return self.fn(obj, *args, **kwargs)


def computed(fn: Callable[Concatenate[Any, P], T]) -> operation[P, T]:
    """An operation whose work is a computation over cached state that may first need loads
    (workspaces, projects, the schema): see ``Core._with_loads``."""
    def op(self: Any, *args: P.args, **kwargs: P.kwargs) -> Op[T]:
        result: T = yield from self._with_loads(lambda: fn(self, *args, **kwargs))
        return result
    functools.update_wrapper(op, fn)
    return operation(op)
