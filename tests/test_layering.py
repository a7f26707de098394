"""Dependencies run one way: every ``import`` of nvlut, parsed with ``ast``, goes down the layers.

    spec, util  <-  golden, hdl  <-  gen  <-  cells, verif, synth, ablate, energy, explore  <-  CLI

``spec`` and ``util`` import nothing else from nvlut (not even each other); ``golden`` and ``hdl``
take only from them (``hdl`` never imports ``golden``); the packages of the fourth layer may use
each other but without a cycle of any length (``synth`` uses ``energy``, which uses ``verif`` and
``cells``; so ``cells``, ``verif`` and ``energy`` may never import ``synth``); nothing imports the
command line (``nvlut.gen.cli``). Imports inside functions count as much as those at the top of a
module.
"""

import pathlib

import pytest

from nvlut.util import sources

ROOT = pathlib.Path(__file__).resolve().parent.parent

#: package -> layer; a package may import from lower layers, and from its own layer only where
#: ``LATERAL`` allows it
LAYERS = {
    "spec": 0, "util": 0,
    "golden": 1, "hdl": 1,
    "gen": 2,
    "cells": 3, "verif": 3, "synth": 3, "ablate": 3, "energy": 3, "explore": 3,
}
#: the command line sits above everything; no module may import it
CLI_MODULES = {"nvlut.gen.cli"}
#: layers whose packages may import each other (acyclically)
LATERAL = {3}


def module_name(path, root=ROOT):
    """``nvlut.<package>.<module>`` of a source file under ``root``."""
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["nvlut", *parts])


def imported_modules(path, root=ROOT):
    """Every nvlut module ``path`` imports (absolute or relative, at any depth of the file)."""
    return sources.imported_modules(module_name(path, root), path)


def source_files(root=ROOT):
    for package in LAYERS:
        if (root / package).is_dir():
            yield from sorted((root / package).rglob("*.py"))


def backward_edges(root=ROOT):
    """``(importer, imported, reason)`` for every import that breaks the layering."""
    bad = []
    package_edges = set()
    for path in source_files(root):
        importer = module_name(path, root)
        src = importer.split(".")[1]
        for imported in sorted(imported_modules(path, root)):
            parts = imported.split(".")
            if len(parts) < 2 or parts[1] not in LAYERS:
                continue                        # nvlut itself, or a name inside a module
            dst = parts[1]
            if any(imported == c or imported.startswith(c + ".") for c in CLI_MODULES):
                bad.append((importer, "nvlut.gen.cli", "imports the command line"))
            elif src == dst:
                continue
            elif LAYERS[dst] > LAYERS[src]:
                bad.append((importer, f"nvlut.{dst}", f"{src} (layer {LAYERS[src]}) imports "
                                                      f"{dst} (layer {LAYERS[dst]})"))
            elif LAYERS[dst] == LAYERS[src] and LAYERS[src] not in LATERAL:
                bad.append((importer, f"nvlut.{dst}", f"{src} imports {dst} of its own layer"))
            else:
                package_edges.add((src, dst))
    for cycle in package_cycles(package_edges):
        bad.append((f"nvlut.{cycle[0]}", f"nvlut.{cycle[1]}",
                    "packages import each other: " + " -> ".join(cycle)))
    return list(dict.fromkeys(bad))


def package_cycles(edges):
    """One shortest cycle ``[a, b, ..., a]`` through the smallest package of each strongly
    connected group of ``edges`` (``(importer, imported)`` package pairs)."""
    graph = {}
    for src, dst in edges:
        graph.setdefault(src, set()).add(dst)

    def paths_from(start):
        """Shortest path from ``start`` to every package it reaches (``start`` itself only
        through a cycle)."""
        paths, frontier = {}, [[start]]
        while frontier:
            nxt = []
            for path in frontier:
                for dst in sorted(graph.get(path[-1], ())):
                    if dst not in paths:
                        paths[dst] = path + [dst]
                        nxt.append(paths[dst])
            frontier = nxt
        return paths

    reach = {p: paths_from(p) for p in graph}
    cycles, seen = [], set()
    for p in sorted(graph):
        if p in seen or p not in reach[p]:
            continue
        group = {q for q in reach[p] if p in reach.get(q, {})}
        seen |= group
        cycles.append(reach[p][p])
    return cycles


def test_the_source_tree_has_no_backward_edge():
    files = list(source_files())
    assert len(files) > 50
    assert backward_edges() == []


def test_hdl_takes_nothing_from_golden_or_gen():
    for path in (ROOT / "hdl").rglob("*.py"):
        for imported in imported_modules(path):
            assert not imported.startswith(("nvlut.golden", "nvlut.gen")), (path, imported)


@pytest.mark.parametrize("importer,line,reason", [
    ("hdl/x.py", "from nvlut.golden import dot", "hdl imports golden of its own layer"),
    ("hdl/x.py", "from nvlut.gen.params import add_design_arguments", "imports gen"),
    ("spec/x.py", "from ..util import files", "spec imports util of its own layer"),
    ("verif/x.py", "def f():\n    from nvlut.gen.cli import main", "imports the command line"),
    ("golden/x.py", "from ..verif import sim", "golden (layer 1) imports verif"),
])
def test_a_backward_edge_is_found(tmp_path, importer, line, reason):
    """The checker itself: a tree with one backward edge (relative, absolute or inside a
    function) gives exactly that edge."""
    for package in ("spec", "util", "golden", "hdl", "gen", "verif"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / importer).write_text(line + "\n")
    edges = backward_edges(tmp_path)
    assert len(edges) == 1 and reason in edges[0][2], edges


def test_mutual_imports_within_a_layer_are_found(tmp_path):
    for package in ("verif", "synth"):
        (tmp_path / package).mkdir()
    (tmp_path / "verif" / "a.py").write_text("from nvlut.synth import b\n")
    (tmp_path / "synth" / "b.py").write_text("from nvlut.verif import a\n")
    assert [e[2] for e in backward_edges(tmp_path)] == [
        "packages import each other: synth -> verif -> synth"]


def test_a_longer_cycle_within_a_layer_is_found(tmp_path):
    """synth -> energy -> cells -> synth: no two packages import each other, yet it is a cycle
    (the one the split of ``nvlut.cells`` out of ``nvlut.synth`` removed)."""
    for package, line in (("synth", "from nvlut.energy import measure"),
                          ("energy", "from nvlut.cells import timing"),
                          ("cells", "def f():\n    from nvlut.synth.flow import TIMEOUT"),
                          ("verif", "from nvlut.cells import netlist")):
        (tmp_path / package).mkdir()
        (tmp_path / package / "m.py").write_text(line + "\n")
    assert [e[2] for e in backward_edges(tmp_path)] == [
        "packages import each other: cells -> synth -> energy -> cells"]
