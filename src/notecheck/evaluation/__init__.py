"""Evaluation: scoring the checker's reports against labeled notes (P/R/F1 per element, code and laterality
accuracy, every disagreement with its evidence).

Works on labels and reports only, so it never builds a pipeline; the indications checklist scores itself in
``notecheck.indications.evaluate`` with these helpers. May import ``notecheck.models``, ``notecheck.rules`` and
``notecheck.errors``.
"""

from .elements import (Disagreement, EvalResult, Label, disagreement_lines, is_false_code, ratio, read_labels,
                       render_eval_json, render_eval_text, score)

__all__ = ["Disagreement", "EvalResult", "Label", "disagreement_lines", "is_false_code", "ratio", "read_labels",
           "render_eval_json", "render_eval_text", "score"]
