"""ec112.db"""

# Tables of issue 13's parts are defined in their own modules on the shared Base: imported here so that
# Base.metadata (Alembic's env, the schema checks) always knows every table.
from ec112.db import caller_measures as _caller_measures  # noqa: F401
from ec112.db import text_messages as _text_messages  # noqa: F401
