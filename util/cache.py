"""Result cache: one JSON file per (Verilog, Yosys script, Yosys version), keyed on their hash."""

import hashlib
import json
import pathlib

from nvlut.util.files import write_if_changed


def cache_key(*parts):
    """SHA-256 hex digest of ``parts`` (str or bytes: Verilog, scripts, Liberty, tool versions),
    everything that determines a synthesis result."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


class Cache:
    """A directory of ``<key>.json`` results."""

    def __init__(self, directory):
        self.directory = pathlib.Path(directory)

    def get(self, key):
        """The stored result for ``key``, or None."""
        path = self.directory / f"{key}.json"
        try:
            return json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def put(self, key, result):
        write_if_changed(self.directory / f"{key}.json", json.dumps(result, indent=1, sort_keys=True))
