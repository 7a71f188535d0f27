"""Outputs: every format a report is shown in, each rendering the Report model and nothing else.

Text for the terminal (text), JSON and the report schema (report_json), the audit's CSV (table), the coder's
worksheet in Markdown (markdown), the audit's self-contained HTML page (html_report), and the provider queries a
CDI specialist sends (queries: drafted from a report and the query templates). May import
``notecheck.indications`` (its renderers), ``notecheck.rules``, ``notecheck.models`` and ``notecheck.errors``;
never the pipeline.
"""

from .queries import draft_queries

__all__ = ["draft_queries"]
