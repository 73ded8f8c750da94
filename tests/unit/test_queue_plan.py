"""One queue plan for ec112 and the Asterisk the lab renders: queue, member interface, wrap-up."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ec112.config.settings import CallCenterSettings
from ec112.lab.render import new_lab_config, render
from ec112.routing.queue_plan import DEFAULT_PLAN, QueuePlan


def test_the_settings_default_to_the_plan_and_feed_it() -> None:
    assert CallCenterSettings().queue_plan() == DEFAULT_PLAN
    custom = CallCenterSettings(queue="emergency", member_interface="SIP/{endpoint}", wrapup_seconds=8)
    assert custom.queue_plan() == QueuePlan("emergency", "SIP/{endpoint}", 8)
    assert custom.queue_plan().member("taker01") == "SIP/taker01"
    assert DEFAULT_PLAN.member("taker01") == "PJSIP/taker01"


def test_queues_conf_empty_turns_the_doctors_read_off() -> None:
    assert CallCenterSettings().queues_conf == Path("/etc/asterisk/queues.conf")
    assert CallCenterSettings(queues_conf="").queues_conf is None  # type: ignore[arg-type]


def test_the_lab_renders_queue_and_wrapuptime_from_the_plan(tmp_path: Path) -> None:
    plan = QueuePlan(queue="q_112", wrapup_seconds=11)
    config = dataclasses.replace(new_lab_config(tmp_path / "lab"), plan=plan)
    etc = render(config).parent
    queues = etc.joinpath("ec112", "queues_ec112.conf").read_text().splitlines()
    assert "[q_112]" in queues
    assert "wrapuptime = 11" in queues
    dialplan = etc.joinpath("ec112", "extensions_ec112.conf").read_text().splitlines()
    # no option r: the waiting caller hears the music class ec112-waiting (the prompts), not ringing
    queue_at = dialplan.index(" same => n,Queue(q_112,,,,,,,ec112-answered)")  # the gosub: 8th argument on 16
    assert dialplan[queue_at - 1] == " same => n,Set(CHANNEL(musicclass)=ec112-waiting)"
    assert (config.queue, config.wrapup_seconds) == ("q_112", 11)


def test_the_lab_default_is_the_plan_ec112_defaults_to(tmp_path: Path) -> None:
    config = new_lab_config(tmp_path / "lab")
    assert config.plan == CallCenterSettings().queue_plan()


@pytest.mark.parametrize("plan", [QueuePlan(queue="112;x"), QueuePlan(queue=""), QueuePlan(wrapup_seconds=-1)])
def test_a_plan_that_would_corrupt_the_config_is_refused(plan: QueuePlan) -> None:
    with pytest.raises(ValueError, match=r"queue name|wrapup_seconds"):
        plan.template_values()
