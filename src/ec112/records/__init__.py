"""Adapter: Asterisk's own call records on local files (cdr_custom CSV and app_queue's queue_log).

The only package that knows their formats; it hands the services :class:`ec112.domain.recorded_calls.RecordedCall`
parts and file positions. See ``asterisk-conf/cdr_custom.conf`` and ``logger.conf`` for how Asterisk writes them.
"""

from ec112.domain.recorded_calls import FilePosition
from ec112.records.reader import AsteriskRecords, FileStatus, RecordBatch

__all__ = ["AsteriskRecords", "FilePosition", "FileStatus", "RecordBatch"]
