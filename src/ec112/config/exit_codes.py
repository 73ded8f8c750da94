"""The exit codes of ``ec112`` and its daemon, defined once (scripts and systemd rely on them).

0 is success; 1 and 2 keep their usual meaning (a check found problems / a usage error). The codes from 3
are the CLI's; 78 is ``EX_CONFIG`` from BSD's sysexits.h.
"""

from __future__ import annotations

from typing import Final

EXIT_UNREACHABLE: Final = 3  # the daemon's API does not answer
EXIT_NOT_FOUND: Final = 4  # no such ticket, agent, account…
EXIT_REFUSED: Final = 5  # the request was understood and refused (a rule, a conflict, invalid input)
EXIT_UNAUTHORIZED: Final = 6  # no valid token
EXIT_FORBIDDEN: Final = 7  # the token's role may not do this
EXIT_TAMPERED: Final = 8  # `ec112 audit verify`: a row of the audit log was changed or removed
# Errors a restart cannot fix: invalid settings, a wrong AMI secret, a bad agencies or webhooks file. The
# supervisor does not restart a worker that exits with it; `ec112 doctor` and the admin commands use it
# for invalid settings too.
EX_CONFIG: Final = 78
