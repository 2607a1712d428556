"""scripts/fetch_spec.py, exercised offline against a loopback HTTP server serving files."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from scripts import fetch_spec
from tests.conftest import REPO_ROOT


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(base URL, folder): files put in the folder are served on loopback."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()


def test_downloads_validates_writes_and_summarises(served: tuple[str, Path], tmp_path: Path) -> None:
    url, root = served
    current = yaml.safe_load((REPO_ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    newer = yaml.safe_load((REPO_ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    del newer["paths"]["/v1/locations"]
    newer["paths"]["/v1/products"] = {
        "get": {**current["paths"]["/v1/locations"]["get"], "operationId": "listProducts"}
    }
    newer["paths"]["/v1/messages/send"]["post"]["summary"] = "Send one message"
    (root / "openapi.yaml").write_text(yaml.safe_dump(newer), encoding="utf-8")
    output = tmp_path / "openapi.yaml"
    output.write_text(yaml.safe_dump(current), encoding="utf-8")
    summary_file = tmp_path / "summary.md"

    status = fetch_spec.main(
        ["--url", f"{url}/openapi.yaml", "--output", str(output), "--summary-file", str(summary_file)]
    )

    assert status == 0
    assert yaml.safe_load(output.read_text(encoding="utf-8")) == newer
    summary = summary_file.read_text(encoding="utf-8")
    assert "Operations: 67 (1 added, 1 removed, 1 changed)" in summary
    assert "+ GET /v1/products (listProducts)" in summary
    assert "- GET /v1/locations (listLocations)" in summary
    assert "~ POST /v1/messages/send (sendMessage)" in summary


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("not: [valid", "not YAML"),
        ("openapi: 3.1.0\ninfo: {title: x}\npaths: {}\n", "invalid OpenAPI"),
        ("<html>maintenance</html>", "expected an OpenAPI document"),
    ],
)
def test_a_bad_download_leaves_the_current_file_alone(
    served: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, reason: str
) -> None:
    url, root = served
    (root / "openapi.yaml").write_text(content, encoding="utf-8")
    output = tmp_path / "openapi.yaml"
    output.write_text("kept: true\n", encoding="utf-8")

    assert fetch_spec.main(["--url", f"{url}/openapi.yaml", "--output", str(output)]) == 1

    assert output.read_text(encoding="utf-8") == "kept: true\n"
    assert reason in capsys.readouterr().err


def test_http_errors_are_reported(served: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url, _ = served
    output = tmp_path / "openapi.yaml"
    assert fetch_spec.main(["--url", f"{url}/missing.yaml", "--output", str(output)]) == 1
    assert "HTTP 404" in capsys.readouterr().err
    assert not output.exists()


def test_default_url_is_heros_bundle() -> None:
    assert fetch_spec.DEFAULT_URL == "https://developer.herohealth.net/_bundle/apis/public-api/openapi.yaml"
