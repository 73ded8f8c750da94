"""Listen, whisper, barge in the composition root (issue 14, docs/room.md B): one service, built from the parts
the root already made (AMI, the live channels, presence, the audit trail, the bus). No state of its own; kept
apart so that ``daemon.py`` gains three lines, not an import per adapter.
"""

from __future__ import annotations

from collections.abc import Callable

from ec112.ami.client import AmiClient
from ec112.ami.spy import AmiSpyDialer
from ec112.config.settings import Settings
from ec112.domain.presence_views import PresenceSnapshot
from ec112.services.audit import AuditService
from ec112.services.event_bus import EventBus
from ec112.services.spy import ChannelSource, SpyService


def build_spy(settings: Settings, *, ami: AmiClient, channels: ChannelSource,
              presence: Callable[[], PresenceSnapshot], audit: AuditService, bus: EventBus) -> SpyService:
    """The sessions live in memory (a phone call's length); the audit trail is their history (no table)."""
    return SpyService(AmiSpyDialer(ami), channels, presence, audit, bus, ring_seconds=settings.spy.ring_seconds)
