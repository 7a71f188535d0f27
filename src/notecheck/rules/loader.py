"""Load and validate the rule files in ``patterns/``.

Rules are data so that a CDI lead can read and extend them. Every file is validated on load and every problem,
in every file, is reported at once with the file and the rule it concerns (the way spaCy's span ruler collects
pattern errors), so a broken edit never half-loads.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import PatternError
from .criteria import CriteriaSet
from .patternset import PatternSet
from .schema import (CODING_CATEGORIES, ELEMENT_IDS, IGNORE, SIDE_CATEGORIES, SITE_CATEGORIES, Compliance,
                     ContextFile, ElementFile, EncounterFile, MarksFile, NormalizeFile, Profile, QueryTemplate,
                     Rule, RuleFile, SectionFile)


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


class _Files:
    """One pattern directory being read: every problem found is collected, none raised alone."""

    def __init__(self, root: Traversable) -> None:
        self.root = root
        self.problems: list[str] = []
        marks_file = _validate(MarksFile, self.read("marks.json"), "marks.json", self.problems)
        self.marks: dict[str, str] = marks_file.marks if marks_file else {}

    def read(self, relative: str) -> Any:
        node = self.root
        for part in relative.split("/"):
            node = node.joinpath(part)
        return _read_json(node, relative, self.problems)

    def load(self, relative: str, model: type[BaseModel]) -> Any:
        """A file validated against its model, with the shared marks expanded; None (and a problem) if invalid."""
        return _validate(model, _expand_marks(self.read(relative), self.marks), relative, self.problems)


def _elements(files: _Files) -> dict[str, ElementFile]:
    elements: dict[str, ElementFile] = {}
    for element_id in ELEMENT_IDS:
        label = f"elements/{element_id}.json"
        element = files.load(label, ElementFile)
        if element is None:
            continue
        if element.element != element_id:
            files.problems.append(f"{label}: element: expected {element_id!r}, found {element.element!r}")
        _check_categories(label, [r for r in element.rules if r.category], (*ELEMENT_IDS, IGNORE), files.problems)
        elements[element_id] = element
    return elements


def _check_sites(sites: RuleFile | None, problems: list[str]) -> None:
    """Site categories, and every sacral term reachable by the pre-screen's anchors."""
    if sites is None:
        return
    _check_categories("sites.json", sites.rules, (*SITE_CATEGORIES,), problems)
    anchors = sites.prescreen_anchors.substrings if sites.prescreen_anchors else []
    for index, rule in enumerate(sites.rules):
        if rule.category in ("sacral", "sacral_procedure") and not any(a in rule.literal.lower() for a in anchors):
            problems.append(f"sites.json: rule {index} ({rule.literal!r}) literal: contains none of the "
                            "prescreen_anchors, so the pre-screen could skip it")


def _check_side_code_context(laterality: RuleFile | None, coding: RuleFile | None, context: ContextFile | None,
                             problems: list[str]) -> None:
    """Categories that name something defined elsewhere: side kinds, coding findings, declared ConText kinds."""
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


def _profiles(files: _Files) -> dict[str, Profile]:
    profiles: dict[str, Profile] = {}
    names = json_files(files.root, "profiles")
    if not names:
        files.problems.append("profiles/: no profile files found")
    for name in names:
        profile = files.load(f"profiles/{name}", Profile)
        if profile is None:
            continue
        if set(profile.elements) != set(ELEMENT_IDS):
            files.problems.append(f"profiles/{name}: elements: expected exactly {', '.join(ELEMENT_IDS)}")
        profiles[profile.code] = profile
    return profiles


def _queries(files: _Files, compliance: Compliance | None) -> dict[str, QueryTemplate]:
    """Every query template, each checked against the compliance rules a query must keep."""
    queries: dict[str, QueryTemplate] = {}
    for name in json_files(files.root, "queries"):
        if name == "compliance.json":
            continue
        template = files.load(f"queries/{name}", QueryTemplate)
        if template is None:
            continue
        queries[name.removesuffix(".json")] = template
        if template.element is not None and template.element not in ELEMENT_IDS:
            files.problems.append(f"queries/{name}: element: {template.element!r} is not an element id")
        if compliance is not None:
            for comment in compliance.violations(" ".join([template.question, *template.options])):
                files.problems.append(f"queries/{name}: question/options: not compliant: {comment}")
            missing = [o for o in compliance.required_options if template.options and o not in template.options]
            if missing:
                files.problems.append(f"queries/{name}: options: multiple choice must include {', '.join(missing)}")
    return queries


def _indications(files: _Files) -> dict[str, CriteriaSet]:
    """Every criteria set under ``indications/``, by name."""
    sets: dict[str, CriteriaSet] = {}
    for name in json_files(files.root, "indications"):
        label = f"indications/{name}"
        loaded = files.load(label, CriteriaSet)
        if loaded is None:
            continue
        files.problems.extend(loaded.problems(label))
        sets[loaded.name] = loaded
    return sets


def load_patterns(directory: str | Path | Traversable | None = None) -> PatternSet:
    """Read and validate every pattern file; raise PatternError listing all problems."""
    root: Traversable = default_patterns_dir() if directory is None else (
        Path(directory) if isinstance(directory, str) else directory
    )
    if isinstance(root, Path) and not root.is_dir():
        raise PatternError([f"{root}: not a directory of pattern files"])
    files = _Files(root)
    elements = _elements(files)
    sites, laterality, coding = (files.load(name, RuleFile) for name in ("sites.json", "laterality.json",
                                                                          "coding.json"))
    context = files.load("context.json", ContextFile)
    sections = files.load("sections.json", SectionFile)
    normalize = files.load("normalize.json", NormalizeFile)
    encounter = files.load("encounter.json", EncounterFile)
    _check_sites(sites, files.problems)
    _check_side_code_context(laterality, coding, context, files.problems)
    profiles = _profiles(files)
    compliance = files.load("queries/compliance.json", Compliance)
    queries = _queries(files, compliance)
    indications = _indications(files)
    if files.problems:
        raise PatternError(files.problems)
    return PatternSet(source=str(root), elements=elements, sites=sites, laterality=laterality, coding=coding,
                      context=context, sections=sections, profiles=profiles, queries=queries, compliance=compliance,
                      marks=files.marks, normalize=normalize, encounter=encounter, indications=indications)
