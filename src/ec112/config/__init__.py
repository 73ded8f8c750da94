"""What ec112 reads to know how to run: its settings (pydantic-settings: env over a TOML file over defaults),
the local CLI token, the agencies file, Asterisk's queues.conf (for `ec112 doctor`), and the exit codes that
tell a supervisor or a script which kind of error stopped it. Read at the edge, handed down, never global."""
