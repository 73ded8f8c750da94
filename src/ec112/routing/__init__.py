"""Who gets a call and who gets an incident: pure policies above the domain (no I/O; domain + stdlib only).

- ``dialplan``: the one contract with the dialplan (contexts, FastAGI routes, channel variables) — the only
  place Python spells those Asterisk names;
- ``queue_plan``: the queue, its member interface rule and wrap-up (one source for ec112 and queues.conf);
- ``no_answer``: what to do with a call taker who let a 112 call ring out;
- ``agencies``: the agency directory, its builder and the proposal rules (data files are read by adapters:
  ``ec112.config.agencies_file``).
"""
