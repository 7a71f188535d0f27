"""notecheck: does a procedure note document what CPT 0201T (bilateral sacroplasty) requires?

Importing notecheck builds nothing and changes no global state; the medspaCy pipeline is built on first use.
"""

from .checker import Checker, check_text
from .errors import InputError, NotecheckError, PatternError
from .models import ElementResult, Evidence, Finding, Query, Report
from .outputs import draft_queries
from .rules import load_patterns

__all__ = [
    "Checker",
    "ElementResult",
    "Evidence",
    "Finding",
    "InputError",
    "NotecheckError",
    "PatternError",
    "Query",
    "Report",
    "check_text",
    "draft_queries",
    "load_patterns",
]
