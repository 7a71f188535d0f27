"""Keyed hashed note ids for a history kept for months (--history-key FILE).

A note id can identify a patient (an MRN-based file name, an encounter number): a plain SHA-256 of it is no
protection, as ids are short and structured, and hashing every possible MRN takes minutes. HMAC-SHA256 under a
secret key that lives outside the history (a file readable only by the account that runs the audit) makes the
stored id useless to whoever holds the history alone (a BI analyst, a backup, a copy on a share) while the same
note still gets the same id every night, so it is still matched across runs. The history keeps only the key's
fingerprint, to refuse a run under another key (its ids would silently never match the earlier ones).
"""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

from ...errors import NotecheckError

MIN_KEY_BYTES = 32
HASHED = "hmac-sha256"
PLAIN = "plain"


def read_key(path: Path) -> bytes:
    """The key file's bytes, surrounding whitespace stripped; refused when short or readable by other users."""
    try:
        mode = path.stat().st_mode
        key = path.read_bytes().strip()
    except OSError as exc:
        raise NotecheckError(f"{path}: cannot read the history key ({exc.strerror or exc})") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise NotecheckError(f"{path}: the history key is readable by other users; chmod 600 {path}")
    if len(key) < MIN_KEY_BYTES:
        raise NotecheckError(f"{path}: the history key holds {len(key)} bytes, fewer than {MIN_KEY_BYTES} "
                             "(make one with: openssl rand -hex 32)")
    return key


def fingerprint(key: bytes) -> str:
    """Names the key without revealing it: another key gives another fingerprint."""
    return hmac.new(key, b"notecheck history key fingerprint", hashlib.sha256).hexdigest()[:16]


def hashed_id(key: bytes, source: str, note_id: str) -> str:
    """The id as the history keeps it: 128 bits of HMAC-SHA256 over the source and the id."""
    message = f"{source}\0{note_id}".encode("utf-8", "surrogatepass")
    return "h:" + hmac.new(key, message, hashlib.sha256).hexdigest()[:32]
