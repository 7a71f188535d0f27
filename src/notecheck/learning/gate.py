"""Two readers, one verdict: whether the learned reader backs the rules' code, and if not, why, in plain words.

The rules keep the evidence and the code. The learned reader only says whether a person should read the note:
when it reads another code than the rules do, or gives the rules' code less probability than the threshold
chosen on training folds (recorded with the model).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import LearnedReading

_SIDES = {"0201T": "both sides", "0200T": "one side"}


@dataclass(frozen=True)
class Agreement:
    """``agree`` is False when a person should read the note; ``reason`` then says why."""

    agree: bool
    reason: str | None = None
    support: float = 1.0  # the probability the learned reader gives to the rules' code


def support(code: str | None, reading: LearnedReading) -> float:
    """The probability the learned reader gives to ``code``; for no code, side_unknown and none together."""
    p = reading.probabilities
    return p[code] if code in ("0201T", "0200T") else p["side_unknown"] + p["none"]


def learned_code(reading: LearnedReading) -> str | None:
    """The code the learned reader reads: 0201T, 0200T or none, whichever it gives the most probability."""
    codes: tuple[str | None, ...] = ("0201T", "0200T", None)
    return max(codes, key=lambda code: support(code, reading))


def _name(code: str | None) -> str:
    return f"{code} ({_SIDES[code]} treated)" if code else "no code"


def _disagreement(code: str | None, reading: LearnedReading, learned: str | None) -> str:
    p = reading.probabilities
    if learned is None:
        if p["side_unknown"] > p["none"]:
            return (f"the learned reader finds a sacral augmentation done here whose side it cannot tell; "
                    f"the rules find {_name(code)}")
        return ("the learned reader reads this as a document with no sacral augmentation done here; "
                f"the rules find {code}")
    if code is None:
        return f"the learned reader finds a sacral augmentation done here, {_name(learned)}; the rules suggest no code"
    if learned == "0200T":
        return "the learned reader finds one side treated, the rules two"
    return "the learned reader finds both sides treated, the rules one"


def agreement(code: str | None, reading: LearnedReading | None, threshold: float) -> Agreement:
    """Agree when the learned reader reads the rules' code with at least ``threshold`` probability; a note with no
    reading (no sacral anchor, so no sacral vocabulary the rules could code) always agrees."""
    if reading is None:
        return Agreement(agree=True)
    backing = support(code, reading)
    learned = learned_code(reading)
    if learned != code:
        return Agreement(agree=False, reason=_disagreement(code, reading, learned), support=backing)
    if backing < threshold:
        return Agreement(agree=False, support=backing, reason=(
            f"the learned reader is unsure: it gives the rules' {_name(code)} a probability of {backing:.2f}, "
            f"under the {threshold:.2f} it needs"))
    return Agreement(agree=True, support=backing)
