"""The per-side act ledger: needle, cement, balloon and biopsy, each for the left and the right side.

A coder reads a note's sides as a ledger: the body places both needles, the table says 'R: --', the addendum says
'cement on the right only'. Each statement is an event for an act and a side; events are replayed in order of
authority (the title, then the body, then addenda), and within one authority in note order, so a later statement
wins. Form fields and narrative share one authority: templates put their fields after the narrative as often as
before it, and a short narrative line ('Left hemisacrum: not targeted.') reads like a field. Laterality and the code are derived from the cement row; the ledger is in the
report, each entry with the statement that decided it, so a coder sees why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..models import LedgerEntry, Side, SourceKind
from .judged import Judged

ACTS: dict[str, str] = {
    "needle": "bilateral_needle_placement",
    "cement": "cement_injection",
    "cavity": "cavity_creation",
    "biopsy": "bone_biopsy",
}
SIDES: tuple[Side, ...] = ("left", "right")
FIELD_CHARS = 50  # a sentence this short is a form field, not narrative
_AUTHORITY: dict[SourceKind, int] = {"title": 0, "field": 1, "narrative": 1, "addendum": 2}


def source_of(item: Judged) -> SourceKind:
    """Where a statement stands, which sets its authority over the others."""
    if item.sentence.role == "addendum":
        return "addendum"
    if item.sentence.section == "procedure_title":
        return "title"
    if item.mention.in_title or len(item.sentence.text) <= FIELD_CHARS:
        return "field"
    return "narrative"


@dataclass(frozen=True)
class Event:
    item: Judged
    done: bool
    fill_only: bool = False  # 'not treated' leaves a needle that was placed on that side in place

    @property
    def order(self) -> tuple[int, int]:
        return _AUTHORITY[source_of(self.item)], self.item.mention.start


@dataclass
class Ledger:
    """act -> side -> the deciding event (None: nothing said about that side)."""

    rows: dict[str, dict[Side, Event | None]]

    def sides(self, act: str) -> frozenset[str]:
        return frozenset(side for side, event in self.rows[act].items() if event is not None and event.done)

    def denied(self, act: str) -> frozenset[str]:
        return frozenset(side for side, event in self.rows[act].items() if event is not None and not event.done)

    def entries(self, evidence: Callable[[Judged], tuple[int, str]]) -> dict[str, dict[Side, LedgerEntry]]:
        """The report's view: each act and side with its state and the statement behind it."""
        out: dict[str, dict[Side, LedgerEntry]] = {}
        for act, row in self.rows.items():
            out[act] = {}
            for side, event in row.items():
                if event is None:
                    out[act][side] = LedgerEntry(state="unknown")
                    continue
                line, quote = evidence(event.item)
                out[act][side] = LedgerEntry(state="done" if event.done else "not_done",
                                             source=source_of(event.item), line=line, quote=quote)
        return out


def build_ledger(per_element: dict[str, list[Judged]], repeats: list[Judged], treated: list[Judged],
                 exclusions: list[Judged], side_denials: list[Judged], removals: frozenset[int] = frozenset()
                 ) -> Ledger:
    """Replay every statement about an act and a side.

    A positive mention marks its sides done, a negated one not done. 'Repeated on the left' adds needle and
    cement, and a volume or 'treated' adds cement, once the act is documented at all. A side said not to be
    treated, or a side word negated ('the right side was aborted'), takes cement away. For needles only a side
    denied as a whole ('Left side not treated.') counts, and only where nothing else was said of that side,
    since a needle placed and then given no cement was still placed; so does a sentence that only takes a device
    out ('Needle removed.', ``removals``: ids of such mentions), which never puts back a needle that was denied.
    """
    rows: dict[str, dict[Side, Event | None]] = {}
    for act, element in ACTS.items():
        items = per_element[element]
        documented = any(i.counted == "documented" for i in items)
        events = [Event(i, i.counted == "documented", fill_only=id(i) in removals)
                  for i in items if i.counted != "discounted"]
        if documented and act in ("needle", "cement"):
            events += [Event(i, True) for i in repeats]
        if documented and act == "cement":
            events += [Event(i, True) for i in treated]
        if act == "cement":
            events += [Event(i, False) for i in exclusions]
        if act == "needle":
            events += [Event(i, False, fill_only=True) for i in side_denials]
        rows[act] = _replay(events)
    return Ledger(rows)


def _replay(events: Iterable[Event]) -> dict[Side, Event | None]:
    """Later statements win; 'cement on the right side only' also says the left got none."""
    row: dict[Side, Event | None] = {side: None for side in SIDES}
    for event in sorted(events, key=lambda e: e.order):
        if event.done and event.item.exclusive and len(event.item.sides) == 1:
            for side in set(SIDES) - event.item.sides:
                row[side] = Event(event.item, False)  # type: ignore[index]
        for side in event.item.sides:
            if side in row and (not event.fill_only or row[side] is None):  # type: ignore[comparison-overlap]
                row[side] = event  # type: ignore[index]
    return row
