"""The package version, for the User-Agent: a constant, because importing ``importlib.metadata`` to read it costs
about 50 ms at import. It must equal pyproject.toml's (tests/test_client.py checks; scripts/spec_update.py bumps
both)."""

__version__ = "0.1.0"
