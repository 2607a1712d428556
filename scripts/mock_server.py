"""Run Stoplight Prism as a mock of openapi.yaml on loopback, for the contract tests and the demo.

    with prism_server(dynamic=True) as base_url:   # starts Prism, or reuses $HERO_MOCK_URL
        ...

    python scripts/mock_server.py [--dynamic] [--port N]   # serve in the foreground until Ctrl-C (`make mock`)

Prism answers with the spec's examples (static mode) or with values generated from the schemas (``--dynamic``),
and rejects requests that do not match the spec (400/422 with an ``sl-violations`` header), which is what makes it
useful for checking the generated client against the spec. It comes from node_modules (``make node``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

REPO_ROOT = Path(__file__).resolve().parents[1]
SPEC_PATH = REPO_ROOT / "openapi.yaml"
PRISM_BIN = REPO_ROOT / "node_modules" / ".bin" / "prism"
HOST = "127.0.0.1"  # loopback only: the mock has no authentication worth the name
MOCK_URL_ENV = "HERO_MOCK_URL"
DEFAULT_CLI_PORT = 4010  # Prism's own default, so `make mock` lands at a predictable address

_TAIL_CHARS = 3000


class PrismError(RuntimeError):
    """Prism is missing, did not start, or a reused one does not answer."""


class PrismNotInstalledError(PrismError):
    """node_modules/.bin/prism is missing."""


def prism_installed() -> bool:
    """True if the Prism binary from package.json is installed."""
    return PRISM_BIN.exists()


def free_port(port: int = 0) -> int:
    """``port`` (0: one the kernel picks) if nothing listens on it at 127.0.0.1 right now; PrismError if taken.

    Checked before starting Prism, because readiness is "something answers on the port": a server already there
    would answer for a Prism that failed to bind.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError as exc:
            raise PrismError(f"port {port} on {HOST} is in use ({exc.strerror}): is a mock already running?") from exc
        return int(sock.getsockname()[1])


# Straight to loopback, whatever http_proxy/HTTP_PROXY say.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def answers(base_url: str, *, timeout: float = 1.0) -> bool:
    """True if an HTTP server answers at ``base_url`` with any status (Prism says 404 for ``/``)."""
    try:
        with _DIRECT.open(base_url.rstrip("/") + "/", timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True  # an error status is still an answer
    except (urllib.error.URLError, OSError):
        return False


def _tail(log: IO[bytes] | None) -> str:
    if log is None:
        return "(Prism's output went to the terminal)"
    log.flush()
    log.seek(0, os.SEEK_END)
    size = log.tell()
    log.seek(max(0, size - _TAIL_CHARS))
    text = log.read().decode("utf-8", "replace").strip()
    return text or "(no output)"


def _stop(process: subprocess.Popen[bytes], *, grace: float = 5.0) -> None:
    """Terminate Prism and anything it forked (it runs in its own process group), killing after ``grace`` s."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, grace)):
        with contextlib.suppress(ProcessLookupError):
            if hasattr(os, "killpg"):
                os.killpg(process.pid, sig)  # the group of the process we started, and only that
            else:  # pragma: no cover - Windows
                process.kill() if sig == signal.SIGKILL else process.terminate()
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_ready(process: subprocess.Popen[bytes], base_url: str, log: IO[bytes] | None, deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PrismError(f"Prism exited with code {process.returncode} before answering.\n{_tail(log)}")
        if answers(base_url, timeout=0.5) and process.poll() is None:
            return
        time.sleep(0.1)
    raise PrismError(f"Prism did not answer at {base_url} within the deadline.\n{_tail(log)}")


@contextlib.contextmanager
def _started(
    *, dynamic: bool, port: int | None, spec: Path, start_timeout: float, quiet: bool
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start Prism, wait until it answers, yield its URL and process; stop it on exit."""
    if not prism_installed():
        raise PrismNotInstalledError(f"Prism is not installed at {PRISM_BIN}: run `make node` (npm ci)")
    port = free_port(port or 0)
    base_url = f"http://{HOST}:{port}"
    command = [str(PRISM_BIN), "mock", str(spec), "-h", HOST, "-p", str(port)] + (["-d"] if dynamic else [])
    with contextlib.ExitStack() as stack:
        log = None if not quiet else stack.enter_context(tempfile.TemporaryFile(prefix="prism-"))
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT if log is not None else None,
            start_new_session=True,  # its own group: Ctrl-C reaches only us, and we stop Prism with its children
        )
        stack.callback(_stop, process)
        _wait_ready(process, base_url, log, time.monotonic() + start_timeout)
        yield base_url, process


@contextlib.contextmanager
def prism_server(
    *,
    dynamic: bool = False,
    port: int | None = None,
    spec: Path = SPEC_PATH,
    reuse: bool = True,
    start_timeout: float = 30.0,
    quiet: bool = True,
) -> Iterator[str]:
    """Yield the base URL of a Prism mock of ``spec`` on 127.0.0.1; stop it on exit.

    ``reuse``: if ``$HERO_MOCK_URL`` is set, yield that (after checking it answers) and start nothing; the contract
    tests pass ``reuse=False`` because they need a static and a dynamic server of their own. ``port=None`` picks a
    free port. ``quiet=False`` lets Prism log to the terminal instead of a temporary file (whose tail is put in
    the error when Prism fails to start).
    """
    reused = os.environ.get(MOCK_URL_ENV, "").strip() if reuse else ""
    if reused:
        if not answers(reused, timeout=5.0):
            raise PrismError(f"${MOCK_URL_ENV} is {reused!r} but nothing answers there; start it or unset it")
        yield reused.rstrip("/")
        return
    with _started(dynamic=dynamic, port=port, spec=spec, start_timeout=start_timeout, quiet=quiet) as (url, _):
        yield url


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    """Serve in the foreground until Ctrl-C (or SIGTERM/SIGHUP, which would otherwise leave Prism running)."""
    parser = argparse.ArgumentParser(description="Serve a Prism mock of openapi.yaml on 127.0.0.1 until Ctrl-C.")
    parser.add_argument("--dynamic", action="store_true", help="generate answers from the schemas (prism -d)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_CLI_PORT, help=f"port (default {DEFAULT_CLI_PORT}; 0 for a free one)"
    )
    args = parser.parse_args(argv)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _interrupt)
    try:
        with _started(
            dynamic=args.dynamic, port=args.port or None, spec=SPEC_PATH, start_timeout=30.0, quiet=False
        ) as (url, process):
            mode = "dynamic" if args.dynamic else "static"
            print(f"Prism ({mode}) mocks {SPEC_PATH.name} at {url}", file=sys.stderr)
            print(f"  use it from the demo:  {MOCK_URL_ENV}={url} make demo   (Ctrl-C to stop)", file=sys.stderr)
            code = process.wait()
            print(f"error: Prism exited with code {code}", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        return 0
    except PrismError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
