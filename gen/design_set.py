"""Generate the default design set: Verilog, manifest.json and a FuseSoC core.

Writes into --out (default build/verilog): one <name>.v per design of DEFAULT_DESIGNS (the paper's
points at B=16, the block sweep, the writable-table designs with and without ECC), manifest.json
(parameters, ports, payload layouts, latency, accumulator width, table geometry and storage bits
of every design), nvlut.core (FuseSoC
CAPI2: a fileset per design, target `lint` for the reference design and `lint_<name>` for each) and
lint_waivers.vlt. Files are rewritten only when their content changes; the output depends only on
the parameters and the generator. With --lint, every design is linted with `verilator -Wall`.
"""

import json
import pathlib

from nvlut.spec.params import MacParams
from nvlut.util.files import write_if_changed

from .generate import verilog_for


def _default_designs():
    designs = []
    # The paper's points at B = 16: NVFP4 (block-scaled fp4 weights) and tensor-scaled fp8 / fp16
    # weights, for each multiplier variant (no full-product table for fp16: 2^20 entries).
    for weights, scaling in (("fp4", "block"), ("fp8", "tensor"), ("fp16", "tensor")):
        for multiplier in ("lut", "fulllut", "mul"):
            if not (weights == "fp16" and multiplier == "fulllut"):
                designs.append(MacParams(weights=weights, weight_scaling=scaling,
                                         multiplier=multiplier))
    # The block-size sweep (B = 16 is the reference point above).
    designs += [MacParams(block=b) for b in (8, 32, 64)]
    # The register cuts beyond 3 (between normalization and rounding; inside the tensor-scale
    # multiplier) on the reference design; `nvlut synth` times every depth.
    designs += [MacParams(pipeline=p) for p in (4, 5)]
    # The iterative (bit-serial multiply and normalization) final stage of the reference design.
    designs.append(MacParams(final_stage="iterative"))
    # The writable table, loaded through the cfg port, and its ECC variants: full SECDED; SECDED on
    # the two MSBs of the 4-bit significand products (weights 4 and 8: the large errors; the same
    # 4 check bits as full SECDED on so narrow an entry, but smaller decoders on the B read ports);
    # and the 9-bit full-product table, unprotected and with full SECDED (its ECC overhead).
    designs += [MacParams(lut_storage="ram", ecc=ecc) for ecc in ("none", "secded", "msb2")]
    designs += [MacParams(multiplier="fulllut", lut_storage="ram", ecc=ecc)
                for ecc in ("none", "secded")]
    return tuple(designs)


#: the designs `nvlut verilog` writes; the first one is the reference design (target `lint`)
DEFAULT_DESIGNS = _default_designs()

CORE_NAME = "nvlut:nvlut:designs:0.1.0"
WAIVERS_FILE = "lint_waivers.vlt"


def add_arguments(parser):
    parser.add_argument("--out", default="build/verilog", type=pathlib.Path,
                        help="output directory (default build/verilog)")
    parser.add_argument("--lint", action="store_true",
                        help="lint every design with verilator --lint-only -Wall afterwards")
    parser.add_argument("--force", action="store_true",
                        help="replace read-only output files (their mode is kept)")


def _fields(layout):
    return {name: {"offset": field.offset, "width": field.width} for name, field in layout}


def describe(params, component, file_name):
    """The manifest record of one design."""
    from amaranth.hdl import Value
    from nvlut.spec.table_geometry import entry_width, table_depth
    from nvlut.hdl.lut_storage import address_width, codec_for

    ports = {"clk": {"direction": "input", "width": 1},
             "rst": {"direction": "input", "width": 1}}
    for path, member, value in component.signature.flatten(component):
        ports["__".join(map(str, path))] = {
            "direction": "input" if member.flow.name == "In" else "output",
            "width": len(Value.cast(value)),
        }
    members = component.signature.members
    table = None
    depth = table_depth(params.multiplier, params.weights)
    if depth:
        width = entry_width(params.multiplier, params.weights)
        word_width = codec_for(params).word_width
        table = {"depth": depth, "entry_width": width, "word_width": word_width,
                 "address_width": address_width(depth), "storage": params.lut_storage,
                 "ecc": params.ecc, "protected_bits": params.ecc_protected_bits,
                 "check_bits": word_width - width, "data_bits": depth * width,
                 "storage_bits": depth * word_width}
    return {
        "name": params.name,
        "top": params.name,
        "file": file_name,
        "params": params.as_dict(),
        "latency": component.latency,
        "accumulator_width": component.acc_width,
        "table": table,
        "ports": ports,
        "payload": {"i": _fields(members["i"].signature.members["payload"].shape),
                    "o": _fields(members["o"].signature.members["payload"].shape)},
    }


def core_file(records):
    """The FuseSoC CAPI2 core text for the manifest ``records`` (the first is the reference)."""
    lines = ["CAPI=2:", "# Generated by `nvlut verilog`; do not edit.", f"name: {CORE_NAME}",
             "description: NVLUT MAC designs generated by nvlut", "", "filesets:", "  waivers:",
             "    files:", f"      - {WAIVERS_FILE}: {{file_type: vlt}}"]
    for r in records:
        lines += [f"  rtl_{r['name']}:", "    files:", f"      - {r['file']}",
                  "    file_type: verilogSource"]
    lines += ["", "targets:", "  default:", "    filesets:"]
    lines += [f"      - rtl_{r['name']}" for r in records]

    def lint_target(target, r):
        return [f"  {target}:", "    default_tool: verilator",
                f"    filesets: [waivers, rtl_{r['name']}]", f"    toplevel: {r['top']}",
                "    tools:", "      verilator:", "        mode: lint-only",
                "        verilator_options: [-Wall]"]
    lines += lint_target("lint", records[0])
    for r in records:
        lines += lint_target(f"lint_{r['name']}", r)
    return "\n".join(lines) + "\n"


def write_design_set(out, designs=DEFAULT_DESIGNS, force=False):
    """Write the design set into ``out``; returns ``(records, changed file names)``."""
    from nvlut.hdl.lint import WAIVERS

    out = pathlib.Path(out)
    records, changed = [], []
    for params in designs:
        text, component = verilog_for(params)
        file_name = f"{params.name}.v"
        if write_if_changed(out / file_name, text, force):
            changed.append(file_name)
        records.append(describe(params, component, file_name))
    outputs = {
        "manifest.json": json.dumps({"designs": records}, indent=2, sort_keys=True) + "\n",
        "nvlut.core": core_file(records),
        WAIVERS_FILE: WAIVERS.read_bytes(),
    }
    for file_name, data in outputs.items():
        if write_if_changed(out / file_name, data, force):
            changed.append(file_name)
    return records, changed


def run(args):
    from nvlut.util.files import check_output_dir
    check_output_dir(args.out, "--out", args.force)
    records, changed = write_design_set(args.out, force=args.force)
    for r in records:
        state = "written" if r["file"] in changed else "unchanged"
        print(f"{args.out / r['file']}: latency {r['latency']}, accumulator "
              f"{r['accumulator_width']} bits ({state})")
    failed = 0
    if args.lint:
        from nvlut.hdl.lint import lint
        for r in records:
            ok, messages = lint(args.out / r["file"], r["top"])
            print(f"lint {r['name']}: {'ok' if ok else 'FAILED'}")
            if not ok:
                print(messages)
                failed += 1
    return 1 if failed else 0
