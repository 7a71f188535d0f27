"""Kept for the import the docs name (docs/integrators.md): HL7 v2 reading lives in ``notecheck.inputs.hl7``."""

from .inputs.hl7 import hl7_items, iter_hl7, looks_like_hl7

__all__ = ["hl7_items", "iter_hl7", "looks_like_hl7"]
