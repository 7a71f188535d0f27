"""notecheck on Apache Spark, for data teams: ``check_notes`` and ``summarize`` (in ``notecheck.batch.spark``).

Importing it needs the [spark] extra (PySpark, pyarrow).
"""

from .batch.spark import RESULT_COLUMNS, check_notes, spark_session, summarize, worker_cache

__all__ = ["RESULT_COLUMNS", "check_notes", "spark_session", "summarize", "worker_cache"]
