"""Start ``tests.support.strict_server`` in its own process and read its counters over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


class StrictServerProcess:
    """Context manager: the server runs while the block runs, on a free loopback port."""

    def __init__(self, limit: int | None = None, seconds: float = 60.0) -> None:
        self.args = [sys.executable, "-m", "tests.support.strict_server", "--seconds", str(seconds)]
        if limit is not None:
            self.args += ["--limit", str(limit)]
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> StrictServerProcess:
        self.process = subprocess.Popen(self.args, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("PORT "):
            self.process.kill()
            raise RuntimeError(f"strict server did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"
        return self

    def stats(self) -> dict[str, object]:
        with urllib.request.urlopen(self.url + "/_stats", timeout=10) as answer:
            return dict(json.loads(answer.read()))

    def reset(self) -> None:
        urllib.request.urlopen(self.url + "/_reset", timeout=10).read()

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
