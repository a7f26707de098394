"""The Python sources an nvlut module depends on, for cache keys.

:func:`source_closure` follows every ``import`` of an nvlut module (parsed with ``ast``, at any
depth of the file, relative or absolute) transitively, so a cache keyed on
:func:`sources_digest` changes whenever any source that can change the output changes, and only
then.
"""

import ast
import hashlib
import importlib.util
import pathlib

_ROOT = "nvlut"


def _origin(name):
    """The source file of module ``name``, or None when it is not a module with a source."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return pathlib.Path(spec.origin)


def imported_modules(name, path):
    """The nvlut modules the source ``path`` of module ``name`` imports (``from X import y``
    counts ``X`` and, when it is a module, ``X.y``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            out.add(target)
            out.update(f"{target}.{alias.name}" for alias in node.names)
    return {m for m in out if m == _ROOT or m.startswith(_ROOT + ".")}


def source_closure(*modules):
    """``{module name: source path}`` of ``modules`` and every nvlut module they import,
    transitively (packages included through their ``__init__``)."""
    found, todo = {}, list(modules)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        path = _origin(name)
        if path is None:
            continue
        found[name] = path
        parents = [name.rsplit(".", i)[0] for i in range(1, name.count(".") + 1)]
        todo += parents + sorted(imported_modules(name, path))
    return dict(sorted(found.items()))


def sources_digest(*modules):
    """SHA-256 hex digest of the names and contents of :func:`source_closure` of ``modules``
    (independent of where the sources live)."""
    h = hashlib.sha256()
    for name, path in source_closure(*modules).items():
        data = path.read_bytes()
        h.update(name.encode() + b"\0" + len(data).to_bytes(8, "little") + data)
    return h.hexdigest()
