"""The spec's operations and the generated functions match one to one (no Prism needed)."""

from __future__ import annotations

import pkgutil

import pytest

import hero_health_client.generated.api as generated_api

from .spec_calls import API_PACKAGE, load_spec, operations

pytestmark = pytest.mark.contract

EXPECTED_OPERATIONS = 67  # a change here is a spec change: update it together with openapi.yaml


def test_every_operation_has_its_generated_function() -> None:
    """``generated.api.<tag>.<operation>`` exists for every operation, with both functions, and nothing else."""
    ops = operations(load_spec())
    assert len(ops) == EXPECTED_OPERATIONS, f"openapi.yaml has {len(ops)} operations, expected {EXPECTED_OPERATIONS}"
    assert len({op.operation_id for op in ops}) == len(ops), "duplicate operationIds"
    missing = []
    for op in ops:
        try:
            module = op.module()
        except ModuleNotFoundError:
            missing.append(f"{op} -> {op.module_name}")
            continue
        if not (callable(getattr(module, "asyncio_detailed", None)) and callable(getattr(module, "asyncio", None))):
            missing.append(f"{op} -> {op.module_name} lacks asyncio_detailed/asyncio")
    assert not missing, "operations without a generated function:\n" + "\n".join(missing)

    depth = API_PACKAGE.count(".") + 2  # <package>.<tag>.<operation>
    generated = {
        info.name
        for info in pkgutil.walk_packages(generated_api.__path__, prefix=f"{API_PACKAGE}.")
        if not info.ispkg and info.name.count(".") == depth
    }
    stale = generated - {op.module_name for op in ops}
    assert not stale, f"generated modules for operations that are not in the spec: {sorted(stale)}"
