"""Load and validate the rule files in ``patterns/``.

Rules are data so that a CDI lead can read and extend them. Every file is validated on load and every problem,
in every file, is reported at once with the file and the rule it concerns (the way spaCy's span ruler collects
pattern errors), so a broken edit never half-loads.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import PatternError

ELEMENT_IDS: tuple[str, ...] = (
    "bilateral_needle_placement",
    "cement_injection",
    "imaging_guidance",
    "cavity_creation",
    "bone_biopsy",
)
SITE_CATEGORIES = ("sacral", "sacral_procedure", "other_site", "other_procedure", "landmark")
SIDE_CATEGORIES = ("left", "right", "bilateral", "contralateral", "repeat", "treated", "volume", "untreated", "only")
CODING_CATEGORIES = ("separate_imaging_code", "separate_biopsy_code", "modifier_50")
IGNORE = "ignore"
OTHER_SECTION = "other"


def flexible_spaces(pattern: str) -> str:
    """Let a space in a rule's regex match any run of whitespace, line breaks included.

    Notes wrap lines mid-phrase ('no cement\\nextravasation'); rule authors write plain spaces. Spaces inside
    character classes and lookbehinds (which must stay fixed-width) are left alone.
    """
    out: list[str] = []
    in_class = escaped = False
    lookbehind_depth = 0
    depth = 0
    for i, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
            if pattern.startswith("(?<=", i) or pattern.startswith("(?<!", i):
                lookbehind_depth = lookbehind_depth or depth
        elif char == ")":
            if depth == lookbehind_depth:
                lookbehind_depth = 0
            depth -= 1
        elif char == " " and not lookbehind_depth:
            quantified = pattern[i + 1 : i + 2] in ("?", "*", "+", "{")
            out.append(r"\s" if quantified else r"\s+")
            continue
        out.append(char)
    return "".join(out)


def regex_source(pattern: str | None, literal: str) -> str:
    """The regex a rule is matched with: its pattern with flexible spaces, or its literal as a whole word."""
    return flexible_spaces(pattern) if pattern else rf"\b{re.escape(literal)}\b"


def _check_regex(value: str) -> str:
    """Reject a rule whose regex does not compile, naming the regex error."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"pattern is not a valid regular expression: {exc}") from exc
    return value


Regex = Annotated[str, AfterValidator(_check_regex)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(_Strict):
    """One target rule: a literal, an optional regex, the category it yields, and why it exists."""

    literal: str = Field(min_length=1)
    pattern: Regex | None = None
    category: str | None = None
    comment: str = Field(min_length=3)
    finding: str | None = None


class Pattern(_Strict):
    """A regex with a comment of intent: the shape every pattern-and-why entry shares."""

    pattern: Regex
    comment: str = Field(min_length=3)


class Cue(Pattern):
    """Words that must stand in the sentence for a mention to document the act, not just name the thing."""

    applies_to: Literal["positive", "both"] = Field(
        description="'both' also discounts negations without the act ('no cement in the canal' is no denial)"
    )


class ElementFile(_Strict):
    element: str
    label: str
    description: str
    rules: list[Rule] = Field(min_length=1)
    cue: Cue | None = None


class MarksFile(_Strict):
    description: str
    marks: dict[str, Regex]


class Anchors(_Strict):
    substrings: list[str] = Field(min_length=1)
    comment: str = Field(min_length=3)


class RuleFile(_Strict):
    description: str
    rules: list[Rule] = Field(min_length=1)
    prescreen_anchors: Anchors | None = None


class ContextCategory(_Strict):
    effect: Literal["negates", "discounts"]
    reason: str


class ContextRuleData(_Strict):
    literal: str = Field(min_length=1)
    category: str
    direction: Literal["FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO"]
    pattern: Regex | None = None
    max_scope: int | None = Field(default=None, gt=0)
    excluded_types: list[str] | None = Field(default=None, description="'layer:category' targets it never modifies")
    comment: str = Field(min_length=3)


class ContextFile(_Strict):
    description: str
    categories: dict[str, ContextCategory]
    rules: list[ContextRuleData] = Field(min_length=1)


class SectionCategory(_Strict):
    role: Literal["performed", "context", "addendum"]
    titles: list[str] = Field(min_length=1)
    comment: str


class SectionFile(_Strict):
    description: str
    generic_header: Regex
    field_affirmation: Regex
    encounter_date: Regex
    categories: dict[str, SectionCategory]


def _words(title: str) -> str:
    return " " + re.sub(r"[^a-z0-9/&]+", " ", title.lower()).strip() + " "


class SectionTitles:
    """Finds the category of a header that no title rule matched exactly ('Consent discussion:').

    An exact title wins; otherwise the first category whose title the header contains, context categories
    first (so 'Planned procedure' is a plan, not a procedure); otherwise 'other', which counts as performed.
    """

    def __init__(self, sections: SectionFile) -> None:
        ordered = sorted(sections.categories.items(), key=lambda item: item[1].role != "context")
        self.exact = {}
        for name, category in reversed(ordered):
            self.exact.update({_words(title): name for title in category.titles})
        self.contained = [(_words(title), name) for name, category in ordered for title in category.titles]

    def category_of(self, title: str) -> str:
        words = _words(title)
        if words in self.exact:
            return self.exact[words]
        return next((name for known, name in self.contained if known in words), OTHER_SECTION)


class BannedPhrase(_Strict):
    pattern: Regex
    comment: str = Field(min_length=3)


class Compliance(_Strict):
    """What every provider query must keep: required options, and phrases a compliant query never uses."""

    description: str
    required_options: list[str] = Field(min_length=1)
    banned: list[BannedPhrase] = Field(min_length=1)

    def violations(self, text: str) -> list[str]:
        return [b.comment for b in self.banned if re.search(b.pattern, text, re.IGNORECASE)]


class QueryTemplate(_Strict):
    """One gap type's query: a neutral question and, where choices would not lead, the options."""

    gap: Literal["missing_required", "laterality_undetermined", "laterality_conflict", "volume_one_side",
                 "specimen_source", "when_performed_hint", "indication_hint"]
    element: str | None = None
    topic: str
    comment: str = Field(min_length=3)
    question: str = Field(min_length=10)
    options: list[str]


class NormalizeRule(_Strict):
    """A rewrite before the pipeline: spoken punctuation, a misrecognised term, a dictated correction."""

    literal: str = Field(min_length=1)
    pattern: Regex
    to: str = Field(description="replacement; \\g<name> puts back a named group of the pattern")
    when: Literal["always", "dictated"] = Field(description="'dictated': only in notes that show dictation")
    comment: str = Field(min_length=3)

    @model_validator(mode="after")
    def _groups_exist(self) -> NormalizeRule:
        named = re.compile(self.pattern).groupindex
        for name in re.findall(r"\\g<(\w+)>", self.to):
            if name not in named:
                raise ValueError(f"to: refers to group {name!r}, which the pattern does not define")
        return self


class DictationSignal(Pattern):
    min_count: int = Field(ge=1)


class NormalizeFile(_Strict):
    description: str
    dictation_signal: DictationSignal
    rules: list[NormalizeRule]


class DocumentType(Pattern):
    label: str


class EncounterFile(_Strict):
    description: str
    heading_lines: int = Field(gt=0)
    document_types: dict[str, DocumentType]
    procedure_record: Pattern


class Profile(_Strict):
    code: str
    title: str
    sides: Literal["bilateral", "unilateral"]
    elements: dict[str, Literal["required", "when_performed", "not_required"]]


@dataclass(frozen=True)
class PatternSet:
    """Every rule notecheck runs on, validated, plus where it came from."""

    source: str
    elements: dict[str, ElementFile]
    sites: RuleFile
    laterality: RuleFile
    coding: RuleFile
    context: ContextFile
    sections: SectionFile
    profiles: dict[str, Profile]
    queries: dict[str, QueryTemplate]
    compliance: Compliance
    marks: dict[str, str]
    normalize: NormalizeFile
    encounter: EncounterFile
    indications: dict[str, Any] = field(default_factory=dict)  # name -> indication_rules.CriteriaSet

    def target_rules(self) -> list[tuple[str, str, Rule]]:
        """(layer, category, rule) for every target rule; layers are pruned for overlaps separately."""
        out: list[tuple[str, str, Rule]] = []
        for element_id, element in self.elements.items():
            out += [("element", rule.category or element_id, rule) for rule in element.rules]
        out += [("site", rule.category or IGNORE, rule) for rule in self.sites.rules]
        out += [("side", rule.category or IGNORE, rule) for rule in self.laterality.rules]
        out += [("coding", rule.category or IGNORE, rule) for rule in self.coding.rules]
        return out


    def rule_regex(self, rule: Rule) -> str:
        return regex_source(rule.pattern, rule.literal)

    def prescreen(self) -> tuple[tuple[str, ...], re.Pattern[str], re.Pattern[str]]:
        """Sacral anchors, then sacral-site and element vocabularies as two regexes built from the rules.

        A note that lacks either vocabulary cannot have an element attributed to the sacrum, so skipping the
        pipeline for it changes no element status and no code (tests/test_prescreen.py checks that on real
        notes). The anchors are a cheap substring test run before the sacral regex.
        """
        anchors = tuple(self.sites.prescreen_anchors.substrings) if self.sites.prescreen_anchors else ("",)
        sacral = [self.rule_regex(r) for r in self.sites.rules if r.category in ("sacral", "sacral_procedure")]
        element = [self.rule_regex(r) for _, c, r in self.target_rules() if c in ELEMENT_IDS]
        return (anchors, re.compile("|".join(f"(?:{r})" for r in sacral), re.IGNORECASE),
                re.compile("|".join(f"(?:{r})" for r in element), re.IGNORECASE))


def default_patterns_dir() -> Traversable:
    """The patterns shipped inside the installed package."""
    return resources.files("notecheck.patterns")


def _read_json(node: Traversable, label: str, problems: list[str]) -> Any:
    try:
        return json.loads(node.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{label}: file not found")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{label}: cannot read ({exc})")
    except json.JSONDecodeError as exc:
        problems.append(f"{label}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")
    return None


_MARK = re.compile(r"%([A-Z]+)%")


def _expand_marks(data: Any, marks: dict[str, str]) -> Any:
    """Put the shared template marks (%CHECKED%, %UNCHECKED%) into every string of a pattern file."""
    if isinstance(data, str):
        return _MARK.sub(lambda m: marks.get(m.group(1), m.group(0)), data)
    if isinstance(data, list):
        return [_expand_marks(item, marks) for item in data]
    if isinstance(data, dict):
        return {key: _expand_marks(value, marks) for key, value in data.items()}
    return data


def _rule_name(data: Any, loc: tuple[Any, ...]) -> str:
    """Name the rule a validation error points at by its literal, so the user can find it in the file."""
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        try:
            return f" rule {loc[1]} ({data['rules'][loc[1]].get('literal', '?')!r})"
        except (KeyError, IndexError, TypeError, AttributeError):
            return f" rule {loc[1]}"
    return ""


def _validate(model: type[BaseModel], data: Any, label: str, problems: list[str]) -> Any:
    if data is None:
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(part) for part in err["loc"]) or "(top level)"
            problems.append(f"{label}:{_rule_name(data, err['loc'])} {where}: {err['msg']}")
        return None


def _check_categories(label: str, rules: list[Rule], allowed: tuple[str, ...], problems: list[str]) -> None:
    for index, rule in enumerate(rules):
        if rule.category not in allowed:
            problems.append(
                f"{label}: rule {index} ({rule.literal!r}) category: expected one of {', '.join(allowed)}, "
                f"found {rule.category!r}"
            )


def json_files(root: Traversable, folder: str) -> list[str]:
    """The names of the .json files in a folder of the pattern set, sorted; none when the folder is absent."""
    node = root.joinpath(folder)
    return sorted(n.name for n in node.iterdir() if n.name.endswith(".json")) if node.is_dir() else []


def load_patterns(directory: str | Path | Traversable | None = None) -> PatternSet:
    """Read and validate every pattern file; raise PatternError listing all problems."""
    root: Traversable = default_patterns_dir() if directory is None else (
        Path(directory) if isinstance(directory, str) else directory
    )
    source = str(root)
    if isinstance(root, Path) and not root.is_dir():
        raise PatternError([f"{root}: not a directory of pattern files"])
    problems: list[str] = []

    def read(relative: str) -> Any:
        node = root
        for part in relative.split("/"):
            node = node.joinpath(part)
        return _read_json(node, relative, problems)

    marks_file = _validate(MarksFile, read("marks.json"), "marks.json", problems)
    marks = marks_file.marks if marks_file else {}

    def load(relative: str, model: type[BaseModel]) -> Any:
        return _validate(model, _expand_marks(read(relative), marks), relative, problems)

    elements: dict[str, ElementFile] = {}
    for element_id in ELEMENT_IDS:
        label = f"elements/{element_id}.json"
        element = load(label, ElementFile)
        if element is None:
            continue
        if element.element != element_id:
            problems.append(f"{label}: element: expected {element_id!r}, found {element.element!r}")
        _check_categories(label, [r for r in element.rules if r.category], (*ELEMENT_IDS, IGNORE), problems)
        elements[element_id] = element

    sites = load("sites.json", RuleFile)
    laterality = load("laterality.json", RuleFile)
    coding = load("coding.json", RuleFile)
    context = load("context.json", ContextFile)
    sections = load("sections.json", SectionFile)
    normalize = load("normalize.json", NormalizeFile)
    encounter = load("encounter.json", EncounterFile)
    if sites is not None:
        _check_categories("sites.json", sites.rules, (*SITE_CATEGORIES,), problems)
        anchors = sites.prescreen_anchors.substrings if sites.prescreen_anchors else []
        for index, rule in enumerate(sites.rules):
            if rule.category in ("sacral", "sacral_procedure") and not any(
                a in rule.literal.lower() for a in anchors
            ):
                problems.append(f"sites.json: rule {index} ({rule.literal!r}) literal: contains none of the "
                                "prescreen_anchors, so the pre-screen could skip it")
    if laterality is not None:
        _check_categories("laterality.json", laterality.rules, (*SIDE_CATEGORIES, IGNORE), problems)
    if coding is not None:
        _check_categories("coding.json", coding.rules, CODING_CATEGORIES, problems)
        for index, rule in enumerate(coding.rules):
            if not rule.finding:
                problems.append(f"coding.json: rule {index} ({rule.literal!r}) finding: a message is required")
    if context is not None:
        known = {*context.categories, "TERMINATE", "PSEUDO"}
        for index, rule in enumerate(context.rules):
            if rule.category not in known:
                problems.append(
                    f"context.json: rule {index} ({rule.literal!r}) category: {rule.category!r} is not declared "
                    "under 'categories'"
                )

    profiles: dict[str, Profile] = {}
    names = json_files(root, "profiles")
    if not names:
        problems.append("profiles/: no profile files found")
    for name in names:
        profile = load(f"profiles/{name}", Profile)
        if profile is None:
            continue
        if set(profile.elements) != set(ELEMENT_IDS):
            problems.append(f"profiles/{name}: elements: expected exactly {', '.join(ELEMENT_IDS)}")
        profiles[profile.code] = profile

    compliance = load("queries/compliance.json", Compliance)
    queries: dict[str, QueryTemplate] = {}
    for name in json_files(root, "queries"):
        if name == "compliance.json":
            continue
        template = load(f"queries/{name}", QueryTemplate)
        if template is None:
            continue
        queries[name.removesuffix(".json")] = template
        if template.element is not None and template.element not in ELEMENT_IDS:
            problems.append(f"queries/{name}: element: {template.element!r} is not an element id")
        if compliance is not None:
            for comment in compliance.violations(" ".join([template.question, *template.options])):
                problems.append(f"queries/{name}: question/options: not compliant: {comment}")
            missing = [o for o in compliance.required_options if template.options and o not in template.options]
            if missing:
                problems.append(f"queries/{name}: options: multiple choice must include {', '.join(missing)}")

    from .indication_rules import load_indications  # imported here: it builds on this module's models

    indications = load_indications(root, load, problems)
    if problems:
        raise PatternError(problems)
    return PatternSet(
        source=source,
        elements=elements,
        sites=sites,
        laterality=laterality,
        coding=coding,
        context=context,
        sections=sections,
        profiles=profiles,
        queries=queries,
        compliance=compliance,
        marks=marks,
        normalize=normalize,
        encounter=encounter,
        indications=indications,
    )
