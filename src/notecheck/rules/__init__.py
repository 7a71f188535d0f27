"""Patterns: loading and validating the rule files in ``patterns/`` (the shipped data package is
``notecheck.patterns``; this package is the code that reads it).

Everything notecheck matches is data a CDI lead can read and extend; this layer turns those files into validated,
typed objects and reports every problem at once. It is the bottom layer of the checker: it may import only
``notecheck.errors`` and third-party libraries, and every other layer may import it.
"""

from .criteria import CRITERION_IDS, CRITERION_STATUSES, DEFAULT_INDICATIONS, CriteriaSet, Criterion, compile_terms
from .loader import default_patterns_dir, json_files, load_patterns
from .patternset import PatternSet
from .regex import first_chars, flexible_spaces, regex_source, union
from .schema import (ELEMENT_IDS, IGNORE, OTHER_SECTION, EncounterFile, NormalizeFile, OcrRepair, PlaceholderRule,
                     Profile, QueryTemplate, Rule,
                     SectionFile)

__all__ = [
    "CRITERION_IDS",
    "CRITERION_STATUSES",
    "DEFAULT_INDICATIONS",
    "ELEMENT_IDS",
    "IGNORE",
    "OTHER_SECTION",
    "CriteriaSet",
    "Criterion",
    "EncounterFile",
    "NormalizeFile",
    "OcrRepair",
    "PlaceholderRule",
    "PatternSet",
    "Profile",
    "QueryTemplate",
    "Rule",
    "SectionFile",
    "compile_terms",
    "default_patterns_dir",
    "first_chars",
    "flexible_spaces",
    "json_files",
    "load_patterns",
    "regex_source",
    "union",
]
