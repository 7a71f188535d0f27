"""Element assessment: from a plain-data scan to a status per element, with its evidence.

No spaCy here. The rules of judgement, in order:
1. A mention in a context section (indication, history, consent, plan) or under a discounting ConText modifier
   (plan, consent risk, history, unchecked box) documents nothing.
2. A mention must be attributed to the sacrum: the nearest site term in its sentence decides; a sentence with no
   site term inherits the site in force from the performed sentences before it (or, before any, the first one
   after it). SI-joint, foramen and iliac landmarks only decide where no sacral site is in force, and in a note
   that names another procedure and no sacral one, sacral anatomy is itself only a landmark.
3. The act must be stated near the word (a cue: 'injected', a volume, 'obtained'); a field label documents only
   with an affirming value; imaging guidance counts only when a sacral act is documented for it to guide.
4. Sides come from side terms in the sentence or the side in force ('RIGHT SIDE:' headings carry over their
   paragraph; 'contralateral' flips it; 'the same procedure was repeated on the left' copies needle and cement),
   taken in note order so that later statements and addenda win.
5. A negated mention makes an element not_performed unless a positive one documents it; an addendum that speaks
   to an element wins over the body.
"""


from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ..models import ElementResult, Evidence, Finding, LedgerEntry, Side
from ..reading import Mention, NoteScan
from ..rules import ELEMENT_IDS, PatternSet
from .judged import BOTH, SITE_KIND, Effects, Judged
from .ledger import FIELD_CHARS, Ledger, build_ledger
from .placeholders import unfilled
from .sites import distance
from .walker import Walker

_LEVEL = re.compile(r"[LTC](?:1[0-2]|[1-9])(?: ?(?:-|through|to) ?[LTS]?(?:1[0-2]|[1-9]))?", re.IGNORECASE)
CUE_WINDOW = 150  # characters either side of a mention in which its act must be stated
_DENIED = re.compile(r"[^\w]*(?:no|none|nil|not|n/?a|n|declined|deferred|omitted)\b", re.IGNORECASE)
_BACK_REFERENCE = re.compile(r"\s*(?:it|this|these|they|the (?:cement|mixture|pmma|material|filler)|then)\b",
                             re.IGNORECASE)
_ACTS = ("bilateral_needle_placement", "cement_injection", "cavity_creation", "bone_biopsy")


@dataclass
class Assessment:
    """Everything coding needs: element results, sides, and the judged mentions behind them."""

    elements: dict[str, ElementResult]
    cement_sides: frozenset[str]
    needle_sides: frozenset[str]
    ledger: dict[str, dict[Side, LedgerEntry]]
    declared_sides: list[Evidence] = field(default_factory=list)
    judged: list[Judged] = field(default_factory=list)
    other_procedures: list[Judged] = field(default_factory=list)
    codes: list[Judged] = field(default_factory=list)
    placeholders: list[Finding] = field(default_factory=list)


def _effects(patterns: PatternSet) -> Effects:
    return {name: (cat.effect, cat.reason) for name, cat in patterns.context.categories.items()}



def _evidence(item: Judged, scan: NoteScan) -> Evidence:
    """Evidence in the note as written: normalised offsets are mapped back, and so is the sentence."""
    m = item.mention
    return Evidence(
        **scan.quote(m.start, m.end, item.sentence.start, item.sentence.end),  # type: ignore[arg-type]
        section=item.sentence.section,
        modifiers=[f"{mod.category}: {mod.text}" for mod in m.modifiers],
        sides=sorted(item.sides),
        counted=item.counted,
        reason=item.reason,
    )


def _quote(item: Judged, scan: NoteScan) -> tuple[int, str]:
    start, _, text = scan.written(item.mention.start, item.mention.end)
    return scan.line_of(start), text


def _apply_site(item: Judged, sacral_note: bool) -> Judged:
    """An element mention outside the sacrum is discounted, naming the site it belongs to. In a note about the
    sacrum, a negation that names no site ('Specimens: none', 'no cement was injected') denies the act for the
    whole encounter."""
    if item.counted == "not_performed" and not item.site_in_sentence and sacral_note:
        return item
    if item.counted != "discounted" and item.sites != "sacral":
        where = {"other_site": "another site", "landmark": "a landmark outside the sacrum"}
        return item.discount(where.get(item.sites or "", "no sacral site in view"))
    return item


def _element_status(items: list[Judged]) -> tuple[str, list[Judged]]:
    """Addendum statements win; then a positive mention documents, a negated one says not performed.
    The pool lists body statements before the procedure title, so evidence quotes the narrative first."""
    addendum = [i for i in items if i.sentence.role == "addendum" and i.counted != "discounted"]
    pool = addendum or [i for i in items if i.counted != "discounted"]
    pool = sorted(pool, key=lambda i: (i.sentence.section == "procedure_title", i.mention.start))
    if any(i.counted == "documented" for i in pool):
        return "documented", pool
    if pool:
        return "not_performed", pool
    return "missing", pool


def _apply_cue(item: Judged, cues: dict[str, tuple[re.Pattern[str], str]], scan: NoteScan,
               sentence_sides: dict[int, frozenset[str]],
               siblings: dict[tuple[int, str], list[Mention]]) -> Judged:
    """A mention whose sentence (or, for a short form field, the next line) does not state the act
    ('stable cement in both alae', 'no cement in the canal') is discounted."""
    cue, applies_to = cues.get(item.mention.category, (None, ""))
    if item.counted == "discounted" or cue is None or item.counted == "not_performed" and applies_to != "both":
        return item
    m = item.mention
    start = max(item.sentence.start, m.start - CUE_WINDOW)
    end = min(item.sentence.end, m.end + CUE_WINDOW)
    # a clause with its own mention of the element keeps its act to itself: in 'PMMA had been prepared;
    # cement was not injected' the 'injected' is the second mention's, while 'PMMA prepared; 4 mL injected'
    # states the first one's
    for other in siblings.get((m.sentence, m.category), ()):
        if other is not m:
            if other.end <= m.start and ";" in scan.text[other.end : m.start]:
                start = max(start, scan.text.rfind(";", other.end, m.start) + 1)
            elif other.start >= m.end and ";" in scan.text[m.end : other.start]:
                end = min(end, scan.text.find(";", m.end, other.start))
    window = scan.text[start:end]
    if cue.search(window):
        return item
    following = scan.sentences[item.sentence.index + 1] if item.sentence.index + 1 < len(scan.sentences) else None
    # a short form field's act may stand on the next line; so may a sentence's whose next one refers back
    # to it ('Bone cement was mixed ... It was injected through the right needle')
    carries = item.mention.in_title or len(item.sentence.text) <= FIELD_CHARS or (
        following is not None and _BACK_REFERENCE.match(following.text))
    if not carries or following is None or following.section != item.sentence.section \
            or not cue.search(following.text):
        return item.discount("named without the act being stated")
    # the act is stated on the next line or sentence: so are its sides ('It was injected through the right
    # needle and then through the left needle')
    return replace(item, sides=sentence_sides.get(following.index) or item.sides)


def _apply_field(item: Judged, affirmation: re.Pattern[str], scan: NoteScan) -> Judged:
    """An element word that is itself a header ('Cavity creation: ☐ Balloon ☐ None') is a field label: it
    documents the act only when the field's value affirms it, and a value that opens with a denial denies it."""
    if not item.mention.in_title or item.counted != "documented" or item.mention.category == "volume":
        return item  # a volume is the field's value, not its label
    value = scan.text[item.mention.end : item.sentence.end]
    if _DENIED.match(value):
        return replace(item, counted="not_performed", reason=None)  # 'Cavity: No balloon was used.'
    if affirmation.search(value):
        return item
    return item.discount("field label without an affirming value")


def _guides_nothing(items: list[Judged]) -> list[Judged]:
    """Imaging guidance documents the sacral procedure only when a sacral act (needle, cement, cavity, biopsy)
    is documented too; fluoroscopy in a note with no sacral act guided something else."""
    return [i.discount("no sacral act documented for it to guide") if i.counted != "discounted" else i
            for i in items]


class Assessor:
    """The judgement rules of one pattern set, compiled once per checker and applied to each note's scan."""

    def __init__(self, patterns: PatternSet, requirements: dict[str, str]) -> None:
        self.patterns, self.requirements = patterns, requirements
        self.effects = _effects(patterns)
        self.cues = {e: (re.compile(f.cue.pattern, re.IGNORECASE), f.cue.applies_to)
                     for e, f in patterns.elements.items() if f.cue}
        self.affirmation = re.compile(patterns.sections.field_affirmation, re.IGNORECASE)
        self.ticked = re.compile(patterns.marks["CHECKED"] + r"\s*(?:bilateral|both)", re.IGNORECASE)
        self.boxes = re.compile(f"(?P<unchecked>{patterns.marks['UNCHECKED']})|{patterns.marks['CHECKED']}")
        self.removals = {e: re.compile(f.removal.pattern, re.IGNORECASE)
                         for e, f in patterns.elements.items() if f.removal}

    def __call__(self, scan: NoteScan) -> Assessment:
        return _assess(scan, self)



def _assess(scan: NoteScan, rules: Assessor) -> Assessment:
    """Judge every mention and derive each element's status, evidence and sides."""
    judged = _judge(scan, rules)
    per_element = _per_element(judged)
    ledger = build_ledger(per_element, *_side_statements(judged), removals=_removals(per_element, rules))
    statuses, needle_sides, cement_sides = _statuses(per_element, ledger, scan, rules)
    # the label rules' 'sacral procedure': sacral cement documented, or a sacral augmentation named as done; in
    # a sacral biopsy, ablation, screw fixation or an augmentation aborted before any cement, nothing counts
    if statuses["cement_injection"].status != "documented" and not any(
            i.mention.category == "sacral_procedure" and i.counted == "documented" for i in judged):
        statuses = withdraw(statuses, "no sacral augmentation is documented in this note", keep_negations=True)
    declared = [i for i in judged if i.mention.category == "bilateral" and i.counted == "documented"
                and (i.sentence.section == "procedure_title" or rules.ticked.search(i.sentence.text))]
    return Assessment(
        elements=statuses,
        cement_sides=cement_sides,
        needle_sides=needle_sides,
        ledger=ledger.entries(lambda item: _quote(item, scan)),
        declared_sides=[_evidence(i, scan) for i in declared],
        judged=judged,
        other_procedures=[_with_level(i, scan) for i in judged
                          if i.mention.category == "other_procedure" and i.counted == "documented"],
        codes=[i for i in judged if i.mention.layer == "coding"],
        placeholders=unfilled(scan, rules.boxes),
    )


def _judge(scan: NoteScan, rules: Assessor) -> list[Judged]:
    """Every mention walked in note order, then put through the site, cue and field rules."""
    sacral_note = any(SITE_KIND[m.category] == "sacral" for m in scan.mentions if m.layer == "site")
    walker = Walker(scan, rules.effects)
    siblings: dict[tuple[int, str], list[Mention]] = {}
    for mention in scan.mentions:
        siblings.setdefault((mention.sentence, mention.category), []).append(mention)
    return [_apply_field(_apply_cue(_apply_site(i, sacral_note), rules.cues, scan, walker.sentence_sides,
                                    siblings), rules.affirmation, scan)
            if i.mention.layer in ("element", "side") else i
            for i in walker.walk()]


def _per_element(judged: list[Judged]) -> dict[str, list[Judged]]:
    """Each element's judged mentions; imaging is discounted where no sacral act is documented for it to guide."""
    per_element: dict[str, list[Judged]] = {e: [] for e in ELEMENT_IDS}
    for item in judged:
        if item.mention.layer == "element":
            per_element[item.mention.category].append(item)
    if not any(i.counted == "documented" for e in _ACTS for i in per_element[e]):
        per_element["imaging_guidance"] = _guides_nothing(per_element["imaging_guidance"])
    return per_element


def _removals(per_element: dict[str, list[Judged]], rules: Assessor) -> frozenset[int]:
    """Mentions whose sentence only takes the device out: with the removal words gone, no act is stated."""
    out = set()
    for element, removal in rules.removals.items():
        cue = rules.cues.get(element, (None, ""))[0]
        for item in per_element[element]:
            text = item.sentence.text
            if removal.search(text) and (cue is None or not cue.search(removal.sub(" ", text))):
                out.add(id(item))
    return frozenset(out)


def _side_statements(judged: list[Judged]) -> tuple[list[Judged], list[Judged], list[Judged], list[Judged]]:
    """Statements about a side rather than an act: repeats, sides treated, sides excluded, sides denied whole."""
    # 'repeated', 'treated', a volume and 'not treated' move a side only where their sentence names it
    named_side = {i.sentence.index for i in judged
                  if i.mention.layer == "side" and i.mention.category in ("left", "right", "contralateral")}
    repeats: list[Judged] = []
    treated: list[Judged] = []
    exclusions: list[Judged] = []
    for i in judged:
        if i.mention.layer != "side":
            continue
        explicit = i.sentence.index in named_side
        if i.counted != "discounted" and explicit and i.mention.category == "volume":
            treated.append(replace(i, counted="documented"))  # a volume is a value: 'Leak: no' does not empty it
        elif i.counted == "documented" and explicit and i.mention.category in ("repeat", "treated", "untreated"):
            {"repeat": repeats, "treated": treated, "untreated": exclusions}[i.mention.category].append(i)
        elif i.counted == "not_performed" and i.mention.category in ("left", "right", "bilateral", "treated"):
            exclusions.append(i)
    # a side said not to be done at all ('Left side not treated.', 'No intervention to the right side.') denies
    # its needle too; a side word negated inside a sentence about the act ('no cement in the left') does not
    # (imaging is no act on a side: 'under fluoroscopy the right side was abandoned' denies the right side)
    acts_in = {i.sentence.index for i in judged if i.mention.layer == "element" and i.mention.category in _ACTS}
    side_denials = [i for i in exclusions if i.mention.category == "untreated" or i.sentence.index not in acts_in]
    return repeats, treated, exclusions, side_denials


def _statuses(per_element: dict[str, list[Judged]], ledger: Ledger, scan: NoteScan, rules: Assessor
              ) -> tuple[dict[str, ElementResult], frozenset[str], frozenset[str]]:
    """Each element's status, sides and evidence; the needle and cement sides as the ledger settles them."""
    needle_sides, cement_sides = ledger.sides("needle"), ledger.sides("cement")
    statuses: dict[str, ElementResult] = {}
    for element_id in ELEMENT_IDS:
        items = per_element[element_id]
        status, pool = _element_status(items)
        sides: frozenset[str] = frozenset()
        if element_id == "bilateral_needle_placement":
            if cement_sides == BOTH and status == "documented":
                needle_sides = BOTH  # cement went in on both sides, and cement goes in through needles
            if needle_sides != BOTH:
                # one side only: 'not performed' where a sacroplasty note says the other side was not done
                denied = bool(ledger.denied("needle")) and cement_sides != frozenset()
                status = "not_performed" if denied or status == "not_performed" else "missing"
            sides = needle_sides
        elif element_id == "cement_injection":
            sides = cement_sides
        pooled = {id(i) for i in pool}
        rest = [i for i in items if id(i) not in pooled]
        statuses[element_id] = ElementResult(
            status=status,
            requirement=rules.requirements[element_id],
            label=rules.patterns.elements[element_id].label,
            sides=sorted(sides),
            evidence=[_evidence(i, scan) for i in pool + rest],
        )
    return statuses, needle_sides, cement_sides


def withdraw(elements: dict[str, ElementResult], reason: str, keep_negations: bool) -> dict[str, ElementResult]:
    """Take back what a note documents for elements that do not belong to a sacral augmentation here: each
    documented element becomes missing and its evidence is discounted with the reason. Explicit negations stay
    where ``keep_negations`` ('no cement was injected' in a biopsy-only note is still not performed)."""
    out: dict[str, ElementResult] = {}
    for element_id, result in elements.items():
        if keep_negations and result.status != "documented":
            out[element_id] = result
            continue
        out[element_id] = result.model_copy(update={
            "status": "missing", "sides": [],
            "evidence": [e if keep_negations and e.counted == "not_performed" else
                         e.model_copy(update={"counted": "discounted", "reason": e.reason or reason})
                         for e in result.evidence],
        })
    return out


def _with_level(item: Judged, scan: NoteScan) -> Judged:
    """Name the vertebral level nearest to an other-site procedure ('kyphoplasty of L2')."""
    levels = [m for m in scan.mentions
              if m.sentence == item.mention.sentence and m.category == "other_site" and _LEVEL.match(m.text)]
    if not levels:
        return item
    nearest = min(levels, key=lambda m: distance(m, item.mention))
    return replace(item, level=_LEVEL.match(nearest.text).group(0).upper())  # type: ignore[union-attr]
