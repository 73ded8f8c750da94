"""A real centre's site file and its rendering into Asterisk include files (issue 17, docs/site.md)."""
