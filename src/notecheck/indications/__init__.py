"""The indications checklist: what a payer reads for the indication, beside the CPT elements (a coverage aid,
not a coding rule).

Its criteria sets are pattern files (their schema is validated with the others in ``notecheck.rules``); here they
are read from a NoteScan (reader, values), rendered for every output (render), and scored against labels
(evaluate). May import ``notecheck.reading``, ``notecheck.evaluation``, ``notecheck.rules``, ``notecheck.models``
and ``notecheck.errors``; never the element judgement, which it must not change.
"""

from .reader import HINT_REASON, NO_DURATION, IndicationReader

__all__ = ["HINT_REASON", "NO_DURATION", "IndicationReader"]
