"""How one 112 call is handled before it reaches a call taker: the prompts it hears first, its queue priority (pure).

Decided at intake, in memory (no database round trip on the caller's path), by the advisors a supervisor's
choices feed: a measure on a junk-calling number (services/junk_calls.py) and a known incident
(services/known_incidents.py). An ordinary call gets ``CallHandling()`` — nothing played before the queue,
the dialplan's normal priority — so nothing delays it: the first ring of a free call taker wins.

Prompts are named by their file under ``sounds/<language>/`` without extension (``junk-warning``), or by an
absolute path without extension for a prompt ec112 rendered itself (a known incident's own text).
"""

from __future__ import annotations

from dataclasses import dataclass

# Queue priorities (app_queue QUEUE_PRIO: higher is answered first). The dialplan uses NORMAL_PRIORITY when ec112
# set nothing (an ordinary call, or ec112 down): a measure can only LOWER a number's priority, never block it.
NORMAL_PRIORITY = 10
LOW_PRIORITY = 5  # a supervisor's "lower priority" measure
RESTRICTED_PRIORITY = 1  # a time-boxed restriction: still queued, answered after everyone else waiting
PROMPT_LANGUAGES = ("id", "en")  # Bahasa Indonesia first, then English


@dataclass(frozen=True, slots=True)
class Prompt:
    """One announcement: a shipped prompt name (played in every PROMPT_LANGUAGES, in order) or rendered files."""

    name: str = ""  # under sounds/<lang>/, e.g. "junk-warning"
    # (language, absolute path as Asterisk sees it, without extension): files ec112 rendered for this prompt
    rendered: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class CallHandling:
    prompts: tuple[Prompt, ...] = ()  # played before Queue(), in this order
    queue_priority: int | None = None  # None: NORMAL_PRIORITY (set by the dialplan)
    reasons: tuple[str, ...] = ()  # why, for the log and the console: "junk:warning", "incident:7"

    def merged(self, other: CallHandling) -> CallHandling:
        """Both advisors' advice: prompts in order (a measure's warning before an incident's news), the lower
        priority of the two."""
        priorities = [p for p in (self.queue_priority, other.queue_priority) if p is not None]
        return CallHandling(self.prompts + other.prompts, min(priorities) if priorities else None,
                            self.reasons + other.reasons)

    def playback(self, sounds_dir: str) -> str:
        """The ``Playback()`` argument for these prompts (``&``-joined files), "" when there is none."""
        files: list[str] = []
        for prompt in self.prompts:
            # Language by language: a caller who understands only Indonesian hears all of it first.
            for lang in PROMPT_LANGUAGES:
                if prompt.name:
                    files.append(f"{sounds_dir}/{lang}/{prompt.name}")
                files.extend(path for language, path in prompt.rendered if language == lang)
        return "&".join(files)
