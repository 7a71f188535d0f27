"""Training the learned reader from a committed spaCy config: a fixed seed, a fixed number of epochs, one process.

The loop is spaCy's own update step (``nlp.update``) over the notes in an order drawn from the config's seed, so
the same config and notes give the same model. ``[notecheck]`` in the config holds what the review gate needs.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NotecheckError
from .data import CLASSES, LabeledNote
from .reader import META_KEY, TEXTCAT
from .words import register_tokenizer

if TYPE_CHECKING:
    from spacy.language import Language
    from thinc.api import Config

CONFIG = Path("training") / "reader.cfg"


def load_config(path: Path) -> Config:
    from thinc.api import Config

    try:
        return Config().from_disk(path)
    except OSError as exc:
        raise NotecheckError(f"{path}: cannot read the reader's config ({exc.strerror or exc})") from None
    except Exception as exc:  # thinc reports a malformed file as one of several error types
        raise NotecheckError(f"{path}: invalid reader config ({exc})") from None


def config_hash(path: Path) -> str:
    """sha256 of the config file's bytes, recorded in the model so CI can tell a stale model."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def settings(config: Config) -> dict[str, Any]:
    """The ``[training]`` values the loop reads, with their types checked once."""
    section = config["training"]
    return {"seed": int(section["seed"]), "dropout": float(section["dropout"]),
            "epochs": int(section["max_epochs"]), "batch": int(section["batch_size"])}


def uses_rules(config: Config) -> bool:
    """Whether the config trains on the rules' reading beside the words (``[notecheck] rule_features``)."""
    return bool(config["notecheck"].get("rule_features", False))


def blank_reader(config: Config) -> Language:
    """An untrained reader built from the config's [nlp] and [components]."""
    from spacy.util import load_model_from_config

    register_tokenizer()
    nlp_config = {key: config[key] for key in ("nlp", "components")}
    return load_model_from_config(nlp_config, auto_fill=True, validate=True)


def train(config: Config, notes: Sequence[LabeledNote]) -> Language:
    """A reader trained on ``notes``; deterministic for a given config and notes."""
    from spacy.training import Example
    from spacy.util import fix_random_seed, minibatch
    from thinc.api import registry

    values = settings(config)
    fix_random_seed(values["seed"])
    nlp = blank_reader(config)
    textcat = nlp.get_pipe(TEXTCAT)
    for name in CLASSES:
        textcat.add_label(name)
    features = uses_rules(config)
    examples = [Example.from_dict(nlp.tokenizer.doc(note.text, note.features if features else ()),
                                  {"cats": {c: float(c == note.label) for c in CLASSES}}) for note in notes]
    optimizer = registry.resolve({"optimizer": config["training"]["optimizer"]})["optimizer"]
    nlp.initialize(lambda: examples, sgd=optimizer)
    order = random.Random(values["seed"])
    for _ in range(values["epochs"]):
        shuffled = list(examples)
        order.shuffle(shuffled)
        for batch in minibatch(shuffled, size=values["batch"]):
            nlp.update(batch, drop=values["dropout"], sgd=optimizer)
    nlp.meta[META_KEY] = {"rule_features": features}
    return nlp
