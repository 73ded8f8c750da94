"""ec112 — 112 emergency call handling for Indonesian regional governments, on Asterisk."""

__version__ = "0.1.0"
