"""``pyral serve`` / ``python -m pyral.emulator``: run the emulator in the foreground.

    pyral serve [--host 127.0.0.1] [--port N] [--tls] [--cert F --key F] [--db PATH] [--demo]
                [--admin-user NAME] [--admin-password PW] [--admin-api-key KEY]
                [--latency MS[:JITTER]] [--max-concurrent-per-user N]

Prints exactly one line to stdout before serving (``Rally emulator listening on <url>``);
the default admin credentials in use (those not given as flags or environment variables) are
reported on stderr.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from .app import Emulator
from .faults import Latency
from .limits import DEFAULT_PER_USER


def build_parser(prog: str = "pyral serve") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Run a local Rally WSAPI v2.0 emulator.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: pick a free one)")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS (self-signed unless --cert/--key)")
    parser.add_argument("--cert", help="PEM certificate for --tls")
    parser.add_argument("--key", help="PEM private key for --tls")
    parser.add_argument("--db", help="SQLite file to keep the data in (default: memory)")
    parser.add_argument("--demo", action="store_true", help="load the demo data set into a fresh store")
    parser.add_argument("--admin-user", help="admin UserName (env RALLY_EMULATOR_ADMIN_USER)")
    parser.add_argument("--admin-password", help="admin password (env RALLY_EMULATOR_ADMIN_PASSWORD)")
    parser.add_argument("--admin-api-key", help="admin API key (env RALLY_EMULATOR_ADMIN_API_KEY)")
    parser.add_argument("--latency", metavar="MS[:JITTER]",
                        help="delay every WSAPI answer by MS milliseconds, +/- JITTER (uniform)")
    parser.add_argument("--max-concurrent-per-user", type=int, default=DEFAULT_PER_USER, metavar="N",
                        help=f"simultaneous requests per user; extra ones wait (Rally: {DEFAULT_PER_USER})")
    return parser


def main(argv: list[str] | None = None, prog: str = "pyral serve") -> int:
    args = build_parser(prog).parse_args(argv)
    if bool(args.cert) != bool(args.key):
        print(f"{prog}: --cert and --key go together", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print(f"{prog}: --port must be between 0 and 65535", file=sys.stderr)
        return 2
    if args.max_concurrent_per_user < 1:
        print(f"{prog}: --max-concurrent-per-user must be at least 1", file=sys.stderr)
        return 2
    try:
        latency = Latency.parse_ms(args.latency) if args.latency else None
    except ValueError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    emulator = Emulator(host=args.host, port=args.port, tls=args.tls or bool(args.cert), db=args.db,
                        demo=args.demo, admin_user=args.admin_user, admin_password=args.admin_password,
                        admin_api_key=args.admin_api_key, cert=args.cert, key=args.key, latency=latency,
                        max_concurrent_per_user=args.max_concurrent_per_user)
    try:
        emulator.start()
    except OSError as exc:
        print(f"{prog}: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"Rally emulator listening on {emulator.url}", flush=True)
    env = os.environ
    shown = [(label, value) for label, flag, var, value in (
        ("admin user", args.admin_user, "RALLY_EMULATOR_ADMIN_USER", emulator.admin_user),
        ("password", args.admin_password, "RALLY_EMULATOR_ADMIN_PASSWORD", emulator.admin_password),
        ("api key", args.admin_api_key, "RALLY_EMULATOR_ADMIN_API_KEY", emulator.admin_api_key),
    ) if not (flag or env.get(var))]
    if shown:  # only the defaults in use are printed; credentials you gave stay unprinted
        print("  ".join(f"{label}: {value}" for label, value in shown), file=sys.stderr, flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    emulator.stop()
    return 0
