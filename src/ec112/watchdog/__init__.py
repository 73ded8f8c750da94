"""The freeze watchdog: ``supervisor`` runs the daemon as a child and SIGKILLs it when its event loop stops
beating (``heartbeat``), and tells systemd how it goes (``sd_notify``). Plain blocking Python on the supervisor's
side, so a frozen worker cannot freeze its own guard."""
