"""Measure the checker against labeled notes: per-element P/R/F1 for `documented`, confusion, code accuracy.

Labels are one JSON object per note (tests/corpus/labels.jsonl): id, sacral, laterality, the five element
statuses, expected_code ('0201T' / '0200T' / 'none'), tags and a rationale.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InputError
from ..models import Laterality, Report, Status
from ..rules import ELEMENT_IDS

STATUSES: tuple[str, ...] = ("documented", "not_performed", "missing")


class Label(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    sacral: bool
    laterality: Laterality
    elements: dict[str, Status]
    expected_code: str
    tags: list[str] = Field(default_factory=list)
    rationale: str = ""


class ElementScore(BaseModel):
    precision: float
    recall: float
    f1: float
    support: int
    confusion: dict[str, dict[str, int]] = Field(description="expected status -> checker status -> count")


class Disagreement(BaseModel):
    note_id: str
    field: str
    expected: str
    got: str
    evidence: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)


class EvalResult(BaseModel):
    notes: int
    elements: dict[str, ElementScore]
    code_accuracy: float
    verdict_accuracy: float = Field(description="Share of notes whose verdict is the one the labels imply "
                                                "(expected_verdict).")
    complete_accuracy: float
    laterality_accuracy: float
    false_codes: int = Field(description="Codes where none is due, or 0201T where 0200T is due: the errors that "
                                         "overbill.")
    coverage: float = Field(description="Share of notes not in review (the learned reader backs the rules' code).")
    code_accuracy_not_in_review: float = Field(description="Code accuracy among the notes not in review.")
    false_codes_not_in_review: int = Field(description="False codes among the notes not in review: the ones that "
                                                       "would reach a claim unread.")
    disagreements: list[Disagreement]

    @property
    def min_f1(self) -> float:
        return min(score.f1 for score in self.elements.values())


def read_labels(path: str | Path, model: type[Any] = Label, kind: str = "label") -> list[Any]:
    """Read labels.jsonl (or another label ``model``, e.g. the indications'); a malformed line stops with the file,
    line number and problem."""
    labels: list[Any] = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(str(path), f"cannot read labels ({exc.strerror or exc})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            labels.append(model.model_validate_json(line))
        except ValidationError as exc:
            problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise InputError(f"{path}:{number}", f"invalid {kind} ({problem})") from None
    return labels


def ratio(num: int, den: int) -> float:
    return round(num / den, 4) if den else 1.0


def expected_verdict(label: Label, requirements: dict[str, dict[str, str]]) -> str:
    """The verdict the labels imply, judged (as the checker judges by default) against the code they support:
    complete when every element that code requires is documented, else incomplete; a sacral cement injection
    whose side cannot be told is incomplete; anything else is not applicable. (A discontinued procedure, which the
    checker calls incomplete, labels as no code and not sacral, so it counts here as not applicable.)"""
    if label.expected_code in requirements:
        required = [e for e, r in requirements[label.expected_code].items() if r == "required"]
        return "complete" if all(label.elements[e] == "documented" for e in required) else "incomplete"
    return "incomplete" if label.sacral and label.laterality == "unspecified" else "not_applicable"


def is_false_code(expected: str | None, code: str | None) -> bool:
    """A code where none is due, or 0201T where 0200T is due: the errors that overbill."""
    return code is not None and (expected is None or (code == "0201T" and expected == "0200T"))


def _evidence(report: Report, element: str) -> list[str]:
    return [f"[{e.counted}{' - ' + e.reason if e.reason else ''}] {e.text!r} in: {e.sentence[:160]}"
            for e in report.elements[element].evidence[:4]]


def score(pairs: Iterable[tuple[Label, Report]], requirements: dict[str, dict[str, str]]) -> EvalResult:
    """Compare each report with its label; ``requirements`` maps each code to its elements' requirements."""
    confusion = {e: {s: {t: 0 for t in STATUSES} for s in STATUSES} for e in ELEMENT_IDS}
    code_hits = complete_hits = side_hits = verdict_hits = notes = 0
    false_codes = kept = kept_hits = false_kept = 0
    disagreements: list[Disagreement] = []
    for label, report in pairs:
        notes += 1
        for element in ELEMENT_IDS:
            expected, got = label.elements[element], report.elements[element].status
            confusion[element][expected][got] += 1
            if expected != got:
                disagreements.append(Disagreement(note_id=label.id, field=element, expected=expected, got=got,
                                                  evidence=_evidence(report, element), tags=label.tags))
        code = report.suggested_code or "none"
        code_hits += code == label.expected_code
        false = is_false_code(None if label.expected_code == "none" else label.expected_code, report.suggested_code)
        false_codes += false
        if report.verdict != "review":
            kept += 1
            kept_hits += code == label.expected_code
            false_kept += false
        if code != label.expected_code:
            disagreements.append(Disagreement(
                note_id=label.id, field="suggested_code", expected=label.expected_code, got=code,
                evidence=[f.message for f in report.findings] + _evidence(report, "cement_injection"),
                tags=label.tags,
            ))
        side_hits += report.laterality == label.laterality
        if report.laterality != label.laterality and code == label.expected_code:
            disagreements.append(Disagreement(note_id=label.id, field="laterality", expected=label.laterality,
                                              got=report.laterality, tags=label.tags))
        expected = expected_verdict(label, requirements)
        verdict_hits += report.verdict == expected
        complete_hits += report.complete == (expected == "complete")
        if report.verdict != expected:
            disagreements.append(Disagreement(note_id=label.id, field="verdict", expected=expected,
                                              got=report.verdict, evidence=report.verdict_reasons[:2],
                                              tags=label.tags))
    elements: dict[str, ElementScore] = {}
    for element, matrix in confusion.items():
        tp = matrix["documented"]["documented"]
        predicted = sum(matrix[s]["documented"] for s in STATUSES)
        actual = sum(matrix["documented"].values())
        precision, recall = ratio(tp, predicted), ratio(tp, actual)
        f1 = round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0
        elements[element] = ElementScore(precision=precision, recall=recall, f1=f1, support=actual,
                                         confusion=matrix)
    return EvalResult(
        notes=notes,
        elements=elements,
        code_accuracy=ratio(code_hits, notes),
        verdict_accuracy=ratio(verdict_hits, notes),
        complete_accuracy=ratio(complete_hits, notes),
        laterality_accuracy=ratio(side_hits, notes),
        false_codes=false_codes,
        coverage=ratio(kept, notes),
        code_accuracy_not_in_review=ratio(kept_hits, kept),
        false_codes_not_in_review=false_kept,
        disagreements=disagreements,
    )


def render_eval_text(result: EvalResult) -> str:
    lines = [f"{result.notes} labeled notes", "",
             f"{'element':<28} {'precision':>9} {'recall':>7} {'F1':>7} {'support':>8}"]
    for element, s in result.elements.items():
        lines.append(f"{element:<28} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>7.3f} {s.support:>8}")
    lines += ["", f"code accuracy       {result.code_accuracy:.3f}",
              f"verdict accuracy    {result.verdict_accuracy:.3f}",
              f"complete accuracy   {result.complete_accuracy:.3f}",
              f"laterality accuracy {result.laterality_accuracy:.3f}",
              f"false codes         {result.false_codes}", "",
              f"coverage (not in review)           {result.coverage:.3f}",
              f"code accuracy not in review        {result.code_accuracy_not_in_review:.3f}",
              f"false codes not in review          {result.false_codes_not_in_review}", "",
              "status confusion (rows: expected, columns: checker; all elements)",
              f"{'':<15}" + "".join(f"{s:>15}" for s in STATUSES)]
    for expected in STATUSES:
        counts = [sum(s.confusion[expected][got] for s in result.elements.values()) for got in STATUSES]
        lines.append(f"{expected:<15}" + "".join(f"{c:>15}" for c in counts))
    return "\n".join(lines + disagreement_lines(result.disagreements)) + "\n"


def disagreement_lines(disagreements: list[Disagreement]) -> list[str]:
    """The count, then one line per disagreement with its evidence indented under it."""
    lines = ["", f"{len(disagreements)} disagreements"]
    for d in disagreements:
        tags = f"  [{', '.join(d.tags)}]" if d.tags else ""
        lines.append(f"- {d.note_id}: {d.field} expected {d.expected}, got {d.got}{tags}")
        lines += [f"    {line}" for line in d.evidence]
    return lines


def render_eval_json(result: EvalResult) -> str:
    return json.dumps(result.model_dump(), indent=2) + "\n"
