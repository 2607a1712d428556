"""The fixtures ``fake_hero`` and ``hero``, for ``pytest_plugins`` lists that name this module.

They live in ``hero_health_client_pytest`` (the ``pytest11`` entry point), which imports nothing of the SDK until a
fixture is used; see its docstring.
"""

from hero_health_client_pytest import fake_hero, hero

__all__ = ["fake_hero", "hero"]
