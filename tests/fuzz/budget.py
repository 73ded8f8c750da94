"""How much each fuzz target runs, and how many cases it really ran (written to artifacts/fuzz/).

``make test`` runs a bounded, reproducible budget (derandomized: the same cases every run, so a red CI
means a code change, not a lucky draw). ``EC112_FUZZ_EXAMPLES=5000 make fuzz`` raises every target's
budget in proportion and draws new random cases each run; a failure prints the seed to replay it.
"""

from __future__ import annotations

import os
from collections import Counter

from hypothesis import HealthCheck, settings

DEFAULT_EXAMPLES = 300
_OVERRIDE = os.environ.get("EC112_FUZZ_EXAMPLES", "").strip()
EXAMPLES = int(_OVERRIDE) if _OVERRIDE else DEFAULT_EXAMPLES

CASES: Counter[str] = Counter()  # target → test cases executed (explicit examples, generation, shrinking)
GAPS: Counter[str] = Counter()  # "METHOD /path → status" answered but not declared in the OpenAPI (not a failure)


def budget(scale: float = 1.0) -> settings:
    """Hypothesis settings for one target: ``scale`` × the examples budget (at least 10)."""
    return settings(
        max_examples=max(10, int(EXAMPLES * scale)),
        deadline=None,  # two cores shared with CI and browser tests: timing is not the property here
        derandomize=not _OVERRIDE,
        database=None,  # no .hypothesis/ directory in the work tree
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        print_blob=True,
    )


def ran(target: str) -> None:
    """Count one executed case of ``target`` (call it first thing in the test body)."""
    CASES[target] += 1
