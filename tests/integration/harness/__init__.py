"""Test harness: SIPp phones (call takers, citizens) and a tiny AMI client for integration tests."""

from .ami import MiniAmi
from .asterisk_view import parse_channels_concise, parse_queue_show
from .citizen import ByReference, CitizenCall, Location, PidfCircle, PidfCivic, PidfEllipse, PidfPoint, PidfPolygon
from .sipp import SippProcess, TracedMessage, read_trace
from .taker import TakerPhone

__all__ = [
           "ByReference",
           "CitizenCall",
           "Location",
           "MiniAmi",
           "PidfCircle",
           "PidfCivic",
           "PidfEllipse",
           "PidfPoint",
           "PidfPolygon",
           "SippProcess",
           "TakerPhone",
           "TracedMessage",
           "parse_channels_concise",
           "parse_queue_show",
           "read_trace",
]
