"""Which CAs are trusted and which proxy is used, from settings and the environment (issue 10).

Order of trust (see ``pyral.support.certificates``): ``verify_ssl_cert=False`` is off whatever the
environment says; a ``verify_ssl_cert`` path; ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``,
``SSL_CERT_FILE``, ``SSL_CERT_DIR``; certifi.  Proxies: ``HTTPS_PROXY``/``https_proxy`` (with or
without a scheme, as upstream) and ``NO_PROXY``, through a real loopback CONNECT proxy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from forward_proxy import ForwardProxy

from pyral import Rally
from pyral.errors import RallyConnectionError
from pyral.support.certificates import trust_source

# The documented order (docs/migrating.md, TLS), written here rather than imported from the code
# under test: a test that read the order from the module could not catch it changing.
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")

ENV = (*CA_VARIABLES, "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
       "NO_PROXY", "no_proxy")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def tls(tls_emulator: Any) -> Any:
    tls_emulator.reset()
    return tls_emulator


def _connect(emu: Any, **kwargs: Any) -> Rally:
    return Rally(emu.server, apikey=emu.admin_api_key, max_retries=0, **kwargs)


def _works(emu: Any, **kwargs: Any) -> bool:
    with _connect(emu, **kwargs) as rally:
        return bool(rally.getProject().Name == "Sample Project" and rally.get("Project").resultCount >= 1)


@pytest.mark.parametrize("variable", CA_VARIABLES)
def test_each_ca_variable_is_trusted(clean_env: pytest.MonkeyPatch, tls: Any, variable: str,
                                     tmp_path: Path) -> None:
    with pytest.raises(RallyConnectionError, match="SSL certificate verification failed"):
        _connect(tls)  # certifi does not know the emulator's certificate
    if variable == "SSL_CERT_DIR":
        openssl = shutil.which("openssl")
        if openssl is None:
            pytest.skip("needs the openssl command to name a hashed certificate directory")
        digest = subprocess.run([openssl, "x509", "-hash", "-noout", "-in", tls.cert], capture_output=True,
                                text=True, check=True).stdout.strip()
        shutil.copy(tls.cert, tmp_path / f"{digest}.0")
        clean_env.setenv(variable, str(tmp_path))
    else:
        clean_env.setenv(variable, tls.cert)
    assert _works(tls)


def test_the_order_of_the_ca_variables(clean_env: pytest.MonkeyPatch, tls: Any) -> None:
    import certifi

    for earlier, later in zip(CA_VARIABLES, CA_VARIABLES[1:], strict=False):
        clean_env.setenv(later, tls.cert)
        clean_env.setenv(earlier, certifi.where())  # the earlier one wins: the emulator is not in it
        with pytest.raises(RallyConnectionError, match="SSL certificate verification failed"):
            _connect(tls)
        clean_env.setenv(earlier, "")  # empty means unset, as in requests
        assert trust_source(True, os.environ) == (later, tls.cert)
        assert _works(tls)
        clean_env.delenv(later)
        clean_env.delenv(earlier)


def test_a_verify_path_wins_and_false_is_off(clean_env: pytest.MonkeyPatch, tls: Any) -> None:
    import certifi

    clean_env.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    assert _works(tls, verify_ssl_cert=tls.cert)
    clean_env.setenv("REQUESTS_CA_BUNDLE", tls.cert)
    clean_env.setenv("CURL_CA_BUNDLE", tls.cert)
    with pytest.raises(RallyConnectionError, match="SSL certificate verification failed"):
        _connect(tls, verify_ssl_cert=certifi.where())
    clean_env.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    assert _works(tls, verify_ssl_cert=False)  # off means off (requests turned it back on)


def test_a_missing_or_broken_ca_file_is_a_clear_error(clean_env: pytest.MonkeyPatch, tls: Any,
                                                      tmp_path: Path) -> None:
    clean_env.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "nope.pem"))
    with pytest.raises(RallyConnectionError, match=r"CA certificates from REQUESTS_CA_BUNDLE: no such file"):
        _connect(tls)
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    clean_env.setenv("REQUESTS_CA_BUNDLE", str(junk))
    with pytest.raises(RallyConnectionError, match=r"CA certificates from REQUESTS_CA_BUNDLE .* could not be loaded"):
        _connect(tls)
    assert _works(tls, verify_ssl_cert=False)  # off needs no CA file at all


@pytest.mark.parametrize(("variable", "with_scheme"), [("HTTPS_PROXY", True), ("HTTPS_PROXY", False),
                                                       ("https_proxy", True)])
def test_https_proxy_is_used(clean_env: pytest.MonkeyPatch, tls: Any, variable: str, with_scheme: bool) -> None:
    with ForwardProxy() as proxy:
        clean_env.setenv(variable, f"http://{proxy.address}" if with_scheme else proxy.address)
        assert _works(tls, verify_ssl_cert=False)
        assert proxy.seen and set(proxy.seen) == {tls.server}


@pytest.mark.parametrize("variable", ["NO_PROXY", "no_proxy"])
def test_no_proxy_bypasses_the_proxy(clean_env: pytest.MonkeyPatch, tls: Any, variable: str) -> None:
    with ForwardProxy() as proxy:
        clean_env.setenv("HTTPS_PROXY", proxy.address)
        for value in ("127.0.0.1", "*", "example.com, 127.0.0.1"):
            clean_env.setenv(variable, value)
            assert _works(tls, verify_ssl_cert=False)
        assert proxy.seen == []
        clean_env.setenv(variable, "example.com")
        assert _works(tls, verify_ssl_cert=False)
        assert proxy.seen


def test_a_dead_proxy_is_a_clear_error(clean_env: pytest.MonkeyPatch, tls: Any) -> None:
    with ForwardProxy() as proxy:
        address = proxy.address
    clean_env.setenv("HTTPS_PROXY", address)
    with pytest.raises(RallyConnectionError):
        _connect(tls, verify_ssl_cert=False)
