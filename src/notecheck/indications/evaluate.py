"""Measure the indications checklist against labeled notes: P/R/F1 per criterion.

Labels are one JSON object per note (tests/corpus/indications.jsonl): id, the seven criterion statuses, optionally
the values a labeler read ('values': criterion -> number or word), tags, and the writer's provenance ('doc_kind',
'rationale'), which is kept as written and never scored. A criterion counts as a true positive when the checker
gives the labeled status and it is not 'missing' (and the labeled value, where one is given); so a 'documented'
read as 'below_threshold' is both a false positive and a false negative. Labeled numbers (a pain score, weeks of
care, a named score) are also counted on their own: read right when the checker gives that number and status.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..errors import InputError
from ..evaluation import Disagreement, disagreement_lines, ratio, read_labels
from ..models import CriterionStatus, Report
from ..rules import CRITERION_IDS


class IndicationLabel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    criteria: dict[str, CriterionStatus]
    values: dict[str, int | float | str] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    doc_kind: str | None = Field(default=None, description="Provenance: the kind of document, as its writer named "
                                                           "it; shown beside a disagreement, never scored.")
    rationale: str = Field(default="", description="Provenance: the writer's reason for the labels.")

    @field_validator("criteria")
    @classmethod
    def _every_criterion(cls, value: dict[str, CriterionStatus]) -> dict[str, CriterionStatus]:
        if set(value) != set(CRITERION_IDS):
            raise ValueError(f"expected exactly the criteria {', '.join(CRITERION_IDS)}")
        return value


class CriterionScore(BaseModel):
    precision: float
    recall: float
    f1: float
    support: int = Field(description="Notes labeled documented or below_threshold.")


class ValueScore(BaseModel):
    right: int = Field(description="Labeled numbers the checker read with the labeled status.")
    labeled: int


class IndicationEval(BaseModel):
    notes: int
    criteria: dict[str, CriterionScore]
    values: dict[str, ValueScore] = Field(description="Criterion -> its labeled numbers read right (pain score, "
                                                      "weeks of care, a named score).")
    disagreements: list[Disagreement]

    @property
    def min_f1(self) -> float:
        return min(score.f1 for score in self.criteria.values())


def read_indication_labels(path: str | Path) -> list[IndicationLabel]:
    """One label per line; a malformed line stops with the file, line number and problem."""
    return read_labels(path, IndicationLabel, "indications label")


def _same_value(expected: int | float | str, got: int | float | str | None) -> bool:
    if isinstance(expected, (int, float)) and isinstance(got, (int, float)):
        return abs(expected - got) < 0.05
    return expected == got


def score_indications(pairs: Iterable[tuple[IndicationLabel, Report]]) -> IndicationEval:
    counts = {c: [0, 0, 0] for c in CRITERION_IDS}  # true positives, predicted positives, actual positives
    values = {c: [0, 0] for c in CRITERION_IDS}  # numbers read right, numbers labeled
    disagreements: list[Disagreement] = []
    notes = 0
    for label, report in pairs:
        notes += 1
        if report.indications is None:
            raise InputError(label.id, "the report has no indications block (checklist disabled?)")
        for criterion in CRITERION_IDS:
            expected, result = label.criteria[criterion], report.indications.criteria[criterion]
            value_ok = criterion not in label.values or _same_value(label.values[criterion], result.value)
            hit = expected == result.status and value_ok
            if isinstance(label.values.get(criterion), (int, float)):
                values[criterion][0] += hit
                values[criterion][1] += 1
            counts[criterion][0] += hit and expected != "missing"
            counts[criterion][1] += result.status != "missing"
            counts[criterion][2] += expected != "missing"
            if not hit:
                want = expected + (f" ({label.values[criterion]})" if criterion in label.values else "")
                got = result.status + (f" ({result.value})" if result.value is not None else "")
                disagreements.append(Disagreement(
                    note_id=label.id, field=criterion, expected=want, got=got,
                    tags=label.tags + ([f"kind:{label.doc_kind}"] if label.doc_kind else []),
                    evidence=[f"[{e.counted}{' - ' + e.reason if e.reason else ''}] {e.text!r} in: {e.sentence[:160]}"
                              for e in result.evidence[:4]]))
    scores = {}
    for criterion, (tp, predicted, actual) in counts.items():
        precision, recall = ratio(tp, predicted), ratio(tp, actual)
        f1 = round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0
        scores[criterion] = CriterionScore(precision=precision, recall=recall, f1=f1, support=actual)
    return IndicationEval(notes=notes, criteria=scores, disagreements=disagreements,
                          values={c: ValueScore(right=r, labeled=n) for c, (r, n) in values.items() if n})


def render_indication_eval_text(result: IndicationEval) -> str:
    lines = [f"indications checklist (coverage aid): {result.notes} labeled notes", "",
             f"{'criterion':<28} {'precision':>9} {'recall':>7} {'F1':>7} {'support':>8}"]
    for criterion, s in result.criteria.items():
        lines.append(f"{criterion:<28} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>7.3f} {s.support:>8}")
    if result.values:
        lines += ["", "labeled values read right: " + ", ".join(
            f"{criterion} {v.right}/{v.labeled}" for criterion, v in result.values.items())]
    return "\n".join(lines + disagreement_lines(result.disagreements)) + "\n"
