"""WSAPI response envelopes, exactly as Rally shapes them.

Every JSON body has one top-level key (``QueryResult``, ``CreateResult``, ``OperationResult``,
``BatchResult``, or the type name of a single object) and always carries ``Errors`` and
``Warnings`` plus the ``_rallyAPIMajor``/``_rallyAPIMinor`` strings.
"""

from __future__ import annotations

from typing import Any

META = {"_rallyAPIMajor": "2", "_rallyAPIMinor": "0"}


def query_result(results: list[dict[str, Any]], total: int, start: int, pagesize: int,
                 warnings: list[str] | None = None) -> dict[str, Any]:
    return {"QueryResult": {**META, "Errors": [], "Warnings": list(warnings or []),
                            "TotalResultCount": total, "StartIndex": start, "PageSize": pagesize,
                            "Results": results}}


def query_error(message: str, pagesize: int = 20, start: int = 1) -> dict[str, Any]:
    return {"QueryResult": {**META, "Errors": [message], "Warnings": [], "TotalResultCount": 0,
                            "StartIndex": start, "PageSize": pagesize, "Results": []}}


def single(type_name: str, obj: dict[str, Any], warnings: list[str] | None = None) -> dict[str, Any]:
    body = dict(obj)
    body["Errors"] = []
    body["Warnings"] = list(warnings or [])
    return {type_name: body}


def create_result(obj: dict[str, Any] | None, errors: list[str] | None = None,
                  warnings: list[str] | None = None) -> dict[str, Any]:
    inner: dict[str, Any] = {**META, "Errors": list(errors or []), "Warnings": list(warnings or [])}
    if obj is not None:
        inner["Object"] = obj
    return {"CreateResult": inner}


def operation_result(*, obj: dict[str, Any] | None = None, results: list[dict[str, Any]] | None = None,
                     errors: list[str] | None = None, warnings: list[str] | None = None,
                     extra: dict[str, Any] | None = None) -> dict[str, Any]:
    inner: dict[str, Any] = {**META, "Errors": list(errors or []), "Warnings": list(warnings or [])}
    if obj is not None:
        inner["Object"] = obj
    if results is not None:
        inner["Results"] = results
    inner.update(extra or {})
    return {"OperationResult": inner}


def batch_result(results: list[dict[str, Any]], errors: list[str] | None = None) -> dict[str, Any]:
    return {"BatchResult": {**META, "Errors": list(errors or []), "Warnings": [], "Results": results}}
