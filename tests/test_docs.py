"""The user guide builds without warnings, and its first example runs as documented."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks(page: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced code block of a docs page, in order."""
    return [(m.group(1), m.group(2)) for m in FENCE.finditer((DOCS / page).read_text(encoding="utf-8"))]


def _clean_env() -> dict[str, str]:
    """The environment minus settings that would redirect the example (config, proxies)."""
    drop = {"APIKEY", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"}
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("RALLY_")}


def test_mkdocs_build_is_clean(tmp_path: Path) -> None:
    importlib.import_module("mkdocs")  # setup.sh installs every extra: fail, not skip
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    assert "WARNING" not in proc.stderr, proc.stderr
    assert (tmp_path / "site" / "index.html").is_file()


def test_every_page_is_in_the_nav() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    listed = set(re.findall(r":\s*([\w/-]+\.md)\s*$", config, re.MULTILINE))
    assert {p.name for p in DOCS.glob("*.md")} <= listed


def test_quick_start_runs_as_documented(tmp_path: Path) -> None:
    blocks = _blocks("index.md")
    code_index = next(i for i, (lang, _) in enumerate(blocks) if lang == "python")
    code = blocks[code_index][1]
    documented = next(body for lang, body in blocks[code_index + 1:] if lang == "text")
    script = tmp_path / "quick_start.py"
    script.write_text(code, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                          env=_clean_env(), timeout=180)
    assert proc.returncode == 0, f"quick start failed:\n{proc.stdout}\n{proc.stderr}"
    assert proc.stdout.strip().splitlines() == documented.strip().splitlines()


def _run_as_documented(tmp_path: Path, page: str, index: int, timeout: int) -> None:
    """Run the python block ``index`` of ``page``; its output must be the next ``text`` block."""
    blocks = _blocks(page)
    documented = next(body for lang, body in blocks[index + 1:] if lang == "text")
    script = tmp_path / f"{Path(page).stem}_example.py"
    script.write_text(blocks[index][1], encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                          env=_clean_env(), timeout=timeout)
    assert proc.returncode == 0, f"the {page} example failed:\n{proc.stdout}\n{proc.stderr}"
    assert proc.stdout.strip().splitlines() == documented.strip().splitlines()


def test_looking_back_example_runs_as_documented(tmp_path: Path) -> None:
    importlib.import_module("pandas")  # setup.sh installs every extra: fail, not skip
    blocks = _blocks("lookback.md")
    _run_as_documented(tmp_path, "lookback.md", max(i for i, (lang, _) in enumerate(blocks) if lang == "python"), 300)


def test_async_script_runs_as_documented(tmp_path: Path) -> None:
    blocks = _blocks("async.md")
    index = next(i for i, (lang, body) in enumerate(blocks) if lang == "python" and "asyncio.run(main(" in body)
    _run_as_documented(tmp_path, "async.md", index, 180)


def test_async_server_handler_answers_over_a_socket(tmp_path: Path) -> None:
    handler_code = next(body for lang, body in _blocks("async.md") if lang == "python" and "start_server" in body)
    driver = handler_code + """

import socket, sys
from pyral.emulator import Emulator


async def check(url: str, apikey: str) -> None:
    async with AsyncRally(url, apikey=apikey, project="Online Store") as rally:
        server = await asyncio.start_server(handler(rally), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            for path in ("/accepted", "/nope", "/accepted"):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(f"GET {path} HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n".encode())
                await writer.drain()
                answer = await reader.read()
                writer.close()
                head, _, body = answer.partition(b"\\r\\n\\r\\n")
                print(head.split(b"\\r\\n")[0].decode(), len(json.loads(body)))


with Emulator(demo=True) as emu:
    asyncio.run(check(emu.url, emu.admin_api_key))
"""
    script = tmp_path / "async_handler.py"
    script.write_text(driver, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                          env=_clean_env(), timeout=180)
    assert proc.returncode == 0, f"handler failed:\n{proc.stdout}\n{proc.stderr}"
    assert proc.stdout.split("\n")[:3] == ["HTTP/1.1 200 OK 15", "HTTP/1.1 404 Not Found 0", "HTTP/1.1 200 OK 15"]
