"""How a call is handled before the queue: advisors' advice merged, turned into the dialplan's Playback list."""

from __future__ import annotations

from ec112.domain.call_handling import LOW_PRIORITY, RESTRICTED_PRIORITY, CallHandling, Prompt
from ec112.domain.location import Location
from ec112.services.call_handling import CallHandlingPolicy


class _Advisor:
    def __init__(self, handling: CallHandling) -> None:
        self.handling = handling

    def advise(self, caller_e164: str | None, location: Location | None) -> CallHandling:
        return self.handling


class _Broken:
    def advise(self, caller_e164: str | None, location: Location | None) -> CallHandling:
        raise RuntimeError("measures not loaded")


def test_an_ordinary_call_gets_nothing_played_and_the_normal_priority() -> None:
    handling = CallHandlingPolicy([]).advise("+6281234567890", None)
    assert handling == CallHandling()
    assert handling.playback("/snd") == ""


def test_prompts_play_indonesian_then_english_warning_before_incident_and_the_lower_priority_wins() -> None:
    warning = CallHandling((Prompt("junk-warning"),), RESTRICTED_PRIORITY, ("junk:restriction",))
    text = (("id", "/r/incident-7-id"), ("en", "/r/incident-7-en"))
    incident = CallHandling((Prompt("known-incident", rendered=text),), LOW_PRIORITY, ("incident:7",))
    handling = CallHandlingPolicy([_Advisor(warning), _Advisor(incident)]).advise("+6281234567890", None)
    assert handling.playback("/snd") == ("/snd/id/junk-warning&/snd/en/junk-warning&/snd/id/known-incident"
                                         "&/r/incident-7-id&/snd/en/known-incident&/r/incident-7-en")
    assert handling.queue_priority == RESTRICTED_PRIORITY
    assert handling.reasons == ("junk:restriction", "incident:7")


def test_a_failing_advisor_never_blocks_the_call_it_only_loses_its_advice() -> None:
    warning = CallHandling((Prompt("junk-warning"),), None, ("junk:warning",))
    handling = CallHandlingPolicy([_Broken(), _Advisor(warning)]).advise(None, None)
    assert handling.prompts == (Prompt("junk-warning"),)
