"""What to do with a call taker who let a 112 call ring out (pure).

app_queue rings one free taker at a time for a few seconds (asterisk-conf/queues.conf). A desk that
does not answer must not be offered the next caller too, so its taker is paused with the reason
``tidak menjawab`` — but never the last taker who could still answer: a queue whose every member is
paused rings nobody, and an emergency caller would wait for ever. A phone that cannot ring at all
(unregistered, or dead to qualify) needs no pause: Asterisk skips it already, and it is available
again by itself when it comes back; a no-answer pause found on such a phone is therefore lifted.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from ec112.domain.presence_views import AgentState, AgentView

NO_ANSWER_REASON = "tidak menjawab"  # the pause reason ec112 sets; shown and audited as such
# States of a taker who will be offered calls again without anybody's action.
_STILL_SERVING = frozenset({AgentState.AVAILABLE, AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP})


class NoAnswerAction(StrEnum):
    PAUSE = "paused"  # paused with NO_ANSWER_REASON; the supervisor is alerted
    KEEP_LAST = "kept_last"  # the last taker still serving: not paused, the supervisor is alerted
    PHONE_GONE = "phone_unreachable"  # Asterisk already skips this phone: nothing to pause
    IGNORE = "ignored"  # not (any more) a member, or already paused by someone


def on_ring_no_answer(endpoint: str, agents: Iterable[AgentView]) -> NoAnswerAction:
    """The decision for ``endpoint``, whose phone just rang out, given every member's current view."""
    views = list(agents)
    me = next((a for a in views if a.endpoint == endpoint), None)
    if me is None or me.state is AgentState.PAUSED:
        return NoAnswerAction.IGNORE
    if me.state is AgentState.UNREACHABLE:
        return NoAnswerAction.PHONE_GONE
    if not any(a.endpoint != endpoint and a.state in _STILL_SERVING for a in views):
        return NoAnswerAction.KEEP_LAST
    return NoAnswerAction.PAUSE


def lift_when_unreachable(view: AgentView) -> bool:
    """A no-answer pause on a phone that now cannot ring: lift it, so the phone's return is enough."""
    return view.state is AgentState.UNREACHABLE and view.paused_reason == NO_ANSWER_REASON
