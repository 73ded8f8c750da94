"""Test harness: SIPp phones (call takers, citizens) and a tiny AMI client for integration tests."""

from .ami import MiniAmi
from .citizen import CitizenCall, Location, PidfCircle, PidfPoint
from .sipp import SippProcess, TracedMessage, read_trace
from .taker import TakerPhone

__all__ = ["CitizenCall", "Location", "MiniAmi", "PidfCircle", "PidfPoint", "SippProcess", "TakerPhone",
           "TracedMessage", "read_trace"]
