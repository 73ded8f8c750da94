"""ec112 benchmark: bare Asterisk vs Asterisk + ec112 under SIPp load, same machine, same run."""
