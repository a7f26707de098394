"""The designs ``nvlut synth`` measures: standalone element multipliers (generated here from
``nvlut.hdl``), full MAC configurations (from ``nvlut verilog``'s ``manifest.json``) and the bare
truth tables of the element product.

A design is a name, a kind (``multiplier``, ``mac`` or ``truth_table``), its parameters and its
Verilog text.
"""

import dataclasses
import json
import pathlib

from nvlut.spec.formats import WEIGHTS
from nvlut.spec.params import MULTIPLIERS, PIPELINE_RANGE, MacParams

from . import truth_table


@dataclasses.dataclass(frozen=True)
class Design:
    name: str
    kind: str
    params: dict
    verilog: str


def multiplier_variants():
    """Every valid (weights, multiplier) pair, in report order."""
    out = []
    for weights in WEIGHTS:
        for multiplier in MULTIPLIERS:
            try:
                MacParams(weights=weights, multiplier=multiplier)
            except ValueError:
                continue
            out.append((weights, multiplier))
    return out


def multiplier_verilog(weights, multiplier, module):
    """Verilog of the standalone element multiplier (constant table) as module ``module``."""
    from amaranth.back import verilog

    from nvlut.hdl.multiplier import ElementMultiplier

    top = ElementMultiplier(MacParams(weights=weights, multiplier=multiplier))
    return verilog.convert(top, name=module, emit_src=False)


def product_width(weights):
    """Width of the multipliers' signed product ``p`` (that of ``nvlut.hdl``)."""
    from nvlut.spec.table_geometry import product_width as width

    return width(weights)


def multiplier_designs(weights_filter=None):
    """The standalone multiplier of every variant (of the formats in ``weights_filter``)."""
    out = []
    for weights, multiplier in multiplier_variants():
        if weights_filter and weights not in weights_filter:
            continue
        name = f"mult_{multiplier}_{weights}"
        out.append(Design(name, "multiplier", {"weights": weights, "multiplier": multiplier},
                          multiplier_verilog(weights, multiplier, name)))
    return out


def truth_table_designs():
    """The truth table of the element product for each weight format that has one."""
    out = []
    for weights in truth_table.WEIGHTS:
        name = f"truth_table_{weights}"
        out.append(Design(name, "truth_table", {"weights": weights, "multiplier": "truth_table"},
                          truth_table.truth_table_verilog(weights, name, product_width(weights))))
    return out


def mac_designs(manifest_path):
    """The MAC configurations listed in ``manifest_path`` (``nvlut verilog``'s manifest.json)."""
    manifest_path = pathlib.Path(manifest_path)
    manifest = json.loads(manifest_path.read_text())
    entries = manifest["designs"] if isinstance(manifest, dict) else manifest
    out = []
    for entry in entries:
        verilog = (manifest_path.parent / entry["file"]).read_text()
        out.append(Design(entry["name"], "mac", dict(entry["params"]), verilog))
    return out


def pipeline_sweep(existing=()):
    """The reference design at every pipeline depth (kind ``mac_sweep``), except the depths
    whose design is in ``existing`` (names, e.g. the manifest's MACs)."""
    from nvlut.gen.generate import verilog_for

    out = []
    for depth in range(PIPELINE_RANGE[0], PIPELINE_RANGE[1] + 1):
        params = MacParams(pipeline=depth)
        if params.name not in existing:
            out.append(Design(params.name, "mac_sweep", params.as_dict(), verilog_for(params)[0]))
    return out


def sweep_params():
    """Parameter dicts of the pipeline sweep, shallowest first (reference design, every depth)."""
    return [MacParams(pipeline=d).as_dict()
            for d in range(PIPELINE_RANGE[0], PIPELINE_RANGE[1] + 1)]
