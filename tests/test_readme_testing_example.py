"""The example of README's "Testing your code", verbatim between the markers: it must keep passing as written."""

# --- README example start ---
from hero_health_client import HeroClient, ServerError
from hero_health_client.testing import FakeHero


async def send_reminders(hero: HeroClient, patient_ids: list[str]) -> list[str]:
    """The job under test: one SMS per patient; a failed send is reported, never retried."""
    failed = []
    for patient_id in patient_ids:
        try:
            await hero.messages.send_message(
                patient_id=patient_id, message_type="sms", message_string="Your appointment is tomorrow at 09:30."
            )
        except ServerError:
            failed.append(patient_id)
    return failed


async def test_no_duplicate_sms_after_a_500_and_the_limit_respected() -> None:
    fake = FakeHero(rate_limit=(5, 0.2))  # Hero's rule (300 per 60 s) on a short window
    async with fake.client() as hero:  # a HeroClient wired to the fake, with the same limit
        fake.fail(hero.messages.send_message, status=500)  # the next SMS meets a 500
        failed = await send_reminders(hero, [str(n) for n in range(940, 952)])
    sent_to = [call.json["patient_id"] for call in fake.calls(hero.messages.send_message)]
    assert failed == ["940"]
    assert sorted(sent_to) == [str(n) for n in range(940, 952)]  # 12 SMS, none twice: the 500 was not resent
    assert fake.rate_limited == 0  # no 429: the client's limiter kept the pace


# --- README example end ---
