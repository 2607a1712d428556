"""Download Hero's OpenAPI bundle, validate it, write openapi.yaml and say what changed.

    python scripts/fetch_spec.py [--url URL] [--output openapi.yaml] [--summary-file FILE]

The current file is replaced only once the download is known to be a valid OpenAPI document, so a failed or
garbled download loses nothing. The change summary (stdout, and ``--summary-file`` for a CI job to post) lists
operations and schemas added, removed and changed, then spec_diff.py's report: every change classified breaking
or additive, ending ``change: breaking|additive|none``. The spec-update job shows the same report.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # so it runs as a script from anywhere
from scripts.spec_diff import diff_specs
from scripts.spec_tools import SpecError, parse_spec, summarize_changes, validate_spec

DEFAULT_URL = "https://developer.herohealth.net/_bundle/apis/public-api/openapi.yaml"
REPO_ROOT = Path(__file__).resolve().parent.parent


def download(url: str, *, timeout: float) -> bytes:
    """Fetch ``url``; raise SpecError with the status or the network failure."""
    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise SpecError(f"{url}: download failed: {type(exc).__name__}: {exc}") from exc
    if response.status_code != 200:
        raise SpecError(f"{url}: download failed: HTTP {response.status_code}")
    return response.content


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` in one step, so a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fetch(url: str, output: Path, *, timeout: float = 60.0) -> str:
    """Download, validate and write the spec; return the change summary."""
    data = download(url, timeout=timeout)
    new = parse_spec(data, source=url)
    validate_spec(new, source=url)
    old = None
    if output.exists():
        try:
            old = parse_spec(output.read_bytes(), source=str(output))
        except SpecError:
            old = None  # the summary then lists everything as added
    write_atomically(output, data)
    return change_summary(old, new)


def change_summary(old: dict[str, Any] | None, new: dict[str, Any]) -> str:
    """What changed from ``old`` to ``new``: counts and names, then every change classified (last line the class)."""
    return summarize_changes(old, new) + "\n\n" + diff_specs(old, new).render()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("HERO_SPEC_URL", DEFAULT_URL), help="bundle URL")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "openapi.yaml", help="file to write")
    parser.add_argument("--summary-file", type=Path, help="also write the change summary here")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the download")
    args = parser.parse_args(argv)
    try:
        summary = fetch(args.url, args.output, timeout=args.timeout)
    except SpecError as exc:
        print(f"fetch_spec: {exc}; {args.output} left unchanged", file=sys.stderr)
        return 1
    print(summary)
    if args.summary_file:
        args.summary_file.write_text(summary + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
