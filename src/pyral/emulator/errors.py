"""Rally's error texts and the exceptions that carry them through the emulator.

Handlers raise :class:`WsapiError`; the server turns it into the right envelope (HTTP 200 with
``Errors``, as Rally does) or a non-JSON 401/404/405/413 page.  The texts Rally documents (and
clients match on) are written here, once; query-language texts live with the query compiler,
and texts particular to one write rule stay beside that rule in ``service.py``.
"""

from __future__ import annotations


class WsapiError(Exception):
    """A logical WSAPI error: answered with HTTP 200 and the text in ``Errors``."""

    def __init__(self, message: str, *, warnings: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.warnings = list(warnings or [])


class HttpError(Exception):
    """A transport-level refusal answered with a non-200 status and a plain body."""

    def __init__(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def not_found_read() -> WsapiError:
    return WsapiError("Cannot find object to read")


def not_found_update(type_name: str, oid: object) -> WsapiError:
    return WsapiError(f"Could not read: Could not read {type_name} {oid} to update.")


def not_found_delete() -> WsapiError:
    return WsapiError("Object to delete cannot be null")


def unknown_type(name: str) -> WsapiError:
    return WsapiError(f'Requested type name "{name.lower()}" is unknown.')


def invalid_key() -> WsapiError:
    return WsapiError("Not authorized to perform action: Invalid key")


def should_not_be_null(type_name: str, attr: str) -> WsapiError:
    return WsapiError(f"Validation error: {type_name}.{attr} should not be null")


def conflicts(type_name: str, attr: str, value: str) -> WsapiError:
    return WsapiError(f"Validation error: {type_name}.{attr} conflicts with {value}")


def bad_reference(value: object) -> WsapiError:
    return WsapiError(f'Cannot parse object reference from "{value}"')


def bad_date(value: object) -> WsapiError:
    return WsapiError(f'Could not parse: Cannot convert "{value}" into a date.  You must use the ISO8601 date+time format.')


def invalid_value(value: object, attr_display: str, allowed: tuple[str, ...]) -> WsapiError:
    shown = ", ".join(allowed)
    return WsapiError(f"Validation error: {value} is an invalid value for {attr_display}. "
                      f"{attr_display} is invalid.  Valid values are: {shown}")


def not_authorized(action: str, type_name: str, oid: int | None = None) -> WsapiError:
    """``Not authorized to create: Defect``; updates and deletes name the object's ObjectID too."""
    return WsapiError(f"Not authorized to {action}: {type_name}" + (f" {oid}" if oid is not None else ""))


def ignored_element(wrapper: str, field: str) -> str:
    return f"Ignored JSON element {wrapper}.{field} during processing of this request."


NO_CREDENTIALS = "Full authentication is required to access this resource"
WRONG_CREDENTIALS = "The username or password you entered is incorrect."


def unauthorized_page(path: str, reason: str) -> str:
    """Jetty's 401 page as Rally serves it (HTML, not JSON)."""
    from html import escape

    return ('<html><head><meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>'
            f"<title>Error 401 {reason}</title></head><body><h2>HTTP ERROR 401</h2>"
            f"<p>Problem accessing {escape(path)}. Reason:<pre>    {reason}</pre></p></body></html>")
