"""Who gets a call and who gets an incident: pure policies above the domain (no I/O, no Asterisk names)."""
