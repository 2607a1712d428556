"""openapi-python-client's command line, with our additions to what the templates can use.

    python scripts/generator.py generate --path openapi.yaml --config ... --custom-template-path templates ...

Same arguments and behaviour as ``python -m openapi_python_client``, plus:

- Jinja globals from ``scripts/codegen.py`` (``codegen``: checks and parsing the spec's constraints need;
  ``examples``: what the testing kit's fake answers) and a ``pyrepr`` filter (a Python literal via ``repr``);
- extra package files rendered from our templates (``EXTRA_FILES``), for code the stock generator has no file for.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import openapi_python_client
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts import codegen

# Template -> file in the generated package.
EXTRA_FILES = {
    "checks.py.jinja": "_checks.py",
    "groups.py.jinja": "_groups.py",
    "operations.md.jinja": "OPERATIONS.md",  # moved to docs/operations.md by scripts/regenerate.py
    "examples.py.jinja": "_examples.py",
}


def _spec_path(argv: list[str]) -> Path:
    return Path(argv[argv.index("--path") + 1])


def install(spec: dict[str, Any]) -> None:
    """Patch openapi-python-client's Project to know our globals and write our extra files."""
    project_class: Any = openapi_python_client.Project
    original_init = project_class.__init__
    original_build_api = project_class._build_api

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.env.globals.update(
            codegen=codegen.Codegen(spec),
            declaration=codegen.declaration,
            group_class=codegen.group_class,
            group_method=codegen.group_method,
            group_iterator=codegen.group_iterator,
            group_imports=codegen.group_imports,
            coverage=codegen.coverage,
            examples=codegen.Examples(spec),
        )
        self.env.filters["pyrepr"] = repr

    def _build_api(self: Any) -> None:
        original_build_api(self)
        for template, name in EXTRA_FILES.items():
            rendered = self.env.get_template(template).render()
            (self.package_dir / name).write_text(rendered, encoding=self.config.file_encoding)

    project_class.__init__ = __init__
    project_class._build_api = _build_api


def main(argv: list[str]) -> None:
    install(yaml.safe_load(_spec_path(argv).read_text(encoding="utf-8")))
    from openapi_python_client.cli import app

    app(argv, prog_name="openapi-python-client")


if __name__ == "__main__":
    main(sys.argv[1:])
