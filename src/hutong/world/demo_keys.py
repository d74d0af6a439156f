"""The demo's participant keys, kept as key files (mode 0600) in its data directory.

Each file is what `hutong participant add` prints and what participants'
commands take as `--key-file`: `{subscriber_id, key_id, private_key}`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

KEYS_FOLDER = "keys"


def keep_key(data_dir: Path, subscriber_id: str, key_id: str, private_key: str) -> Path:
    """Write (or replace) `<data_dir>/keys/<subscriber_id>.json`, readable by its owner only."""
    folder = Path(data_dir) / KEYS_FOLDER
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"{subscriber_id}.json"
    document = {"subscriber_id": subscriber_id, "key_id": key_id, "private_key": private_key}
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(document, handle)
    os.chmod(path, 0o600)  # an older file keeps its mode through O_CREAT
    return path
