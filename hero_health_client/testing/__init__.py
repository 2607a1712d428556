"""Test code that calls Hero without Hero: ``FakeHero``, an in-process fake of the whole API.

    from hero_health_client.testing import FakeHero

    fake = FakeHero()
    async with fake.client() as hero:                  # or HeroClient(key, group, transport=fake)
        fake.fail(hero.messages.send_message, status=500)
        ...
    assert len(fake.calls(hero.messages.send_message)) == 1

With pytest, the ``fake_hero`` and ``hero`` fixtures come with the package (``hero_health_client.testing.
pytest_plugin``). Importing this module costs nothing for users who do not: ``import hero_health_client`` does
not import it.
"""

from ._fake import FakeHero, Handler
from ._records import RecordedRequest
from ._routes import Target, route_of

__all__ = ["FakeHero", "Handler", "RecordedRequest", "Target", "route_of"]
