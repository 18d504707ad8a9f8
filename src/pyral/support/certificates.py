"""Which certificate authorities an HTTPS connection trusts (reads CA files, no sockets).

The order, first match wins:

1. ``verify_ssl_cert=False``: no verification, whatever the environment says (upstream's
   ``requests`` let ``REQUESTS_CA_BUNDLE`` silently turn verification back on).
2. ``verify_ssl_cert="<path>"``: that CA bundle file or hashed certificate directory.
3. The first non-empty of ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE`` (what upstream trusted
   through ``requests``), ``SSL_CERT_FILE``, ``SSL_CERT_DIR`` (OpenSSL's variables).
4. certifi's bundle (what ``requests`` used by default).
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping

import certifi

from ..errors import RallyConnectionError

CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")


def trust_source(verify: bool | str, environ: Mapping[str, str]) -> tuple[str, str] | None:
    """``(where it came from, CA path)`` to verify with, or None when verification is off."""
    if verify is False:
        return None
    if isinstance(verify, str):
        return "verify_ssl_cert", verify
    for name in CA_VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            return name, value
    return "certifi", certifi.where()


def ssl_context(verify: bool | str, environ: Mapping[str, str] | None = None) -> ssl.SSLContext | bool:
    """An SSL context trusting the CAs chosen by :func:`trust_source` (False: no verification).

    Raises :class:`RallyConnectionError` naming the setting when its path is missing or not PEM.
    """
    source = trust_source(verify, os.environ if environ is None else environ)
    if source is None:
        return False
    origin, path = source
    if not os.path.exists(path):
        raise RallyConnectionError(f"CA certificates from {origin}: no such file or directory: {path!r}")
    try:
        if os.path.isdir(path):
            return ssl.create_default_context(capath=path)
        return ssl.create_default_context(cafile=path)
    except (OSError, ssl.SSLError) as exc:
        raise RallyConnectionError(f"CA certificates from {origin} ({path!r}) could not be loaded: {exc}") from exc
