"""The front over real sockets, attacked as a client could: a stalled TLS handshake, hundreds of
idle connections, slowloris headers and bodies, malformed HTTP, the connection bound, and the
``reset`` fault.  Other clients must keep getting answers; nothing half-sent changes the store.
Outcomes are counted (answers, closed sockets, bytes sent before the server gave up), never timed."""

from __future__ import annotations

import select
import socket
import ssl
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from pyral.emulator import Emulator

API = "/slm/webservice/v2.0"


@pytest.fixture
def make() -> Iterator[Callable[..., Emulator]]:
    started: list[Emulator] = []

    def start(**options: object) -> Emulator:
        emulator = Emulator(**options).start()  # type: ignore[arg-type]
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


def answered(emu: Emulator, times: int = 3) -> list[int]:
    with httpx.Client(base_url=emu.url, verify=False, timeout=20, headers={"ZSESSIONID": emu.admin_api_key}) as c:
        return [c.get(f"{API}/user").status_code for _ in range(times)]


def defects(emu: Emulator) -> int:
    with httpx.Client(base_url=emu.url, verify=False, timeout=20, headers={"ZSESSIONID": emu.admin_api_key}) as c:
        return int(c.get(f"{API}/defect").json()["QueryResult"]["TotalResultCount"])


def closed_by_server(sock: socket.socket, wait: float = 20.0) -> bool:
    """True when the server closed (or reset) the connection without answering."""
    sock.settimeout(wait)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def trickle(sock: socket.socket, pieces: list[bytes], pause: float) -> int:
    """Send pieces one by one until the server closes the connection; how many were sent."""
    for sent, piece in enumerate(pieces):
        readable, _, _ = select.select([sock], [], [], pause)
        if readable and closed_by_server(sock, 1):
            return sent
        try:
            sock.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            return sent
    return len(pieces)


def test_a_stalled_tls_handshake_blocks_nobody(make: Callable[..., Emulator]) -> None:
    emu = make(tls=True)
    silent = socket.create_connection(("127.0.0.1", emu.port))
    half = socket.create_connection(("127.0.0.1", emu.port))
    half.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # the start of a ClientHello, then nothing
    try:
        assert answered(emu, 5) == [200] * 5
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", emu.port), timeout=20)) as tls:
            tls.sendall(f"GET {API}/user HTTP/1.1\r\nHost: x\r\nZSESSIONID: {emu.admin_api_key}\r\n\r\n".encode())
            assert tls.recv(64).startswith(b"HTTP/1.1 200")
    finally:
        silent.close()
        half.close()


def test_300_idle_connections_are_served_around_then_closed(make: Callable[..., Emulator]) -> None:
    emu = make(header_timeout=1.0)
    idle = [socket.create_connection(("127.0.0.1", emu.port)) for _ in range(300)]
    try:
        idle[0].sendall(b"GET /slm/webservice/v2.0/user HTTP/1.1\r\n")  # one of them half-sends its headers
        assert answered(emu, 5) == [200] * 5
        assert sum(closed_by_server(sock) for sock in idle) == 300
        assert answered(emu, 1) == [200]
    finally:
        for sock in idle:
            sock.close()


def test_slowloris_headers_are_cut_off(make: Callable[..., Emulator]) -> None:
    emu = make(header_timeout=0.5)
    sock = socket.create_connection(("127.0.0.1", emu.port))
    try:
        sock.sendall(f"GET {API}/user HTTP/1.1\r\nHost: x\r\nZSESSIONID: {emu.admin_api_key}\r\n".encode())
        assert answered(emu, 2) == [200, 200]  # while the slow client holds its connection
        sent = trickle(sock, [b"X-Slow: 1\r\n"] * 400, 0.05)
        assert sent < 400, "the server never closed a connection whose headers never ended"
    finally:
        sock.close()
    assert answered(emu, 1) == [200]


def test_slowloris_bodies_are_cut_off_and_write_nothing(make: Callable[..., Emulator]) -> None:
    emu = make(body_timeout=0.5)
    body = b'{"Defect": {"Name": "' + b"x" * 300 + b'"}}'
    sock = socket.create_connection(("127.0.0.1", emu.port))
    try:
        sock.sendall((f"POST {API}/defect/create HTTP/1.1\r\nHost: x\r\nZSESSIONID: {emu.admin_api_key}\r\n"
                      f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode())
        assert answered(emu, 2) == [200, 200]
        sent = trickle(sock, [body[i:i + 1] for i in range(len(body))], 0.05)
        assert sent < len(body), "the server waited for a body sent a byte at a time"
    finally:
        sock.close()
    assert defects(emu) == 0


def test_a_request_in_time_is_not_cut(make: Callable[..., Emulator]) -> None:
    """The deadlines cover receiving only: a request sent in pieces but in time is answered."""
    emu = make(header_timeout=5, body_timeout=5)
    body = b'{"Defect": {"Name": "pieces"}}'
    with socket.create_connection(("127.0.0.1", emu.port), timeout=20) as sock:
        head = (f"POST {API}/defect/create HTTP/1.1\r\nHost: x\r\nZSESSIONID: {emu.admin_api_key}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        assert trickle(sock, [head[:20], head[20:], body[:10], body[10:]], 0.05) == 4
        assert sock.recv(64).startswith(b"HTTP/1.1 200")
    assert defects(emu) == 1


@pytest.mark.parametrize("raw", [
    b"GARBAGE\r\n\r\n",
    b"GET /slm/webservice/v2.0/user HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 300_000,  # never ends, over the cap
    b"GET /slm/webservice/v2.0/user HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    b"GET /slm/webservice/v2.0/user HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
])
def test_malformed_http_gets_400(make: Callable[..., Emulator], raw: bytes) -> None:
    emu = make()
    with socket.create_connection(("127.0.0.1", emu.port), timeout=20) as sock:
        try:
            sock.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server gave up on the oversized header block before it was all sent
        try:
            answer = sock.recv(4096)
        except ConnectionResetError:
            answer = b""
    oversized = len(raw) > 100_000  # the server may reset before the client has sent it all
    assert answer.startswith(b"HTTP/1.1 400") or (oversized and answer == b""), answer[:200]
    assert answered(emu, 1) == [200]


def test_connections_beyond_the_bound_get_503(make: Callable[..., Emulator]) -> None:
    emu = make(max_connections=5)
    idle = [socket.create_connection(("127.0.0.1", emu.port)) for _ in range(6)]
    try:
        # accepted in order: by the time our request is read, the six are open
        assert answered(emu, 1) == [503]
    finally:
        for sock in idle:
            sock.close()
    for _ in range(100):
        if answered(emu, 1) == [200]:
            break
        time.sleep(0.05)
    assert answered(emu, 1) == [200]


@pytest.mark.parametrize("tls", [False, True])
def test_reset_fault_drops_the_connection(make: Callable[..., Emulator], tls: bool) -> None:
    emu = make(tls=tls)
    emu.inject("reset", "/defect/create", method="POST", count=1)
    with httpx.Client(base_url=emu.url, verify=False, timeout=20, headers={"ZSESSIONID": emu.admin_api_key}) as c:
        with pytest.raises(httpx.TransportError):
            c.post(f"{API}/defect/create", json={"Defect": {"Name": "dropped"}})
        assert c.post(f"{API}/defect/create", json={"Defect": {"Name": "kept"}}).json()["CreateResult"]["Errors"] == []
    assert defects(emu) == 1 and emu.faults() == []


def test_faults_over_http_as_a_retrying_client_sees_them(make: Callable[..., Emulator]) -> None:
    emu = make()
    with httpx.Client(base_url=emu.url, timeout=20, headers={"ZSESSIONID": emu.admin_api_key}) as c:
        r = c.post("/emulator/faults", json={"method": "GET", "path": "/user$", "kind": "429", "count": 1,
                                             "retry_after": 2})
        assert r.status_code == 200
        first = c.get(f"{API}/user")
        assert first.status_code == 429 and first.headers["retry-after"] == "2"
        assert c.get(f"{API}/user").status_code == 200
