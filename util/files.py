"""Atomic file output."""

import os
import pathlib


def write_if_changed(path, data):
    """Write ``data`` (str or bytes) to ``path`` atomically unless it already holds exactly that.

    Returns True when the file was (re)written.
    """
    path = pathlib.Path(path)
    data = data.encode() if isinstance(data, str) else data
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True
