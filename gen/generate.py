"""Generate the Verilog of one NVLUT MAC design and the package to integrate it.

Example: nvlut generate --weights fp8 --weight-scaling tensor --multiplier lut -o build/mac.v

The top module is named after the parameters (``MacParams.name``) unless --top is given. Beside the
Verilog go its manifest entry, the lint waivers, a self-checking testbench with golden vectors, a
FuseSoC core and a SystemVerilog package (``nvlut.verif.package``; --verilog-only: the Verilog
alone). Files are written atomically, only when their content changes, never over a non-regular
file; the same parameters always give the same bytes (no source locations, paths or timestamps).
"""

import pathlib
import re

from nvlut.util.errors import CliError
from nvlut.util.files import check_output, write_if_changed

from .params import add_design_arguments, add_seed_argument, params_from_args


def add_arguments(parser):
    add_design_arguments(parser)
    parser.add_argument("-o", "--output", required=True, type=pathlib.Path,
                        help="Verilog file to write; the package files go beside it")
    parser.add_argument("--top", help="top module name, a Verilog identifier (default: the design "
                                      "name)")
    parser.add_argument("--vectors", type=int, default=200, metavar="N",
                        help="random dot products in the golden vector file, besides the directed "
                             "cases (default 200)")
    add_seed_argument(parser, "seed of the golden vectors")
    parser.add_argument("--verilog-only", action="store_true",
                        help="write only the Verilog file, no package")
    parser.add_argument("--force", action="store_true",
                        help="replace read-only output files (their mode is kept)")


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def check_top(top):
    """``top`` if it is a plain Verilog identifier, else :class:`CliError` naming ``--top``."""
    if top is not None and (not _IDENTIFIER.match(top) or len(top) > 1024):
        raise CliError(f"--top: {top!r} is not a Verilog identifier; use letters, digits, _ and $, "
                       f"starting with a letter or _")
    return top


def verilog_for(params, top=None):
    """``(text, component)``: the Verilog of ``NvlutMac(params)`` with top module ``top``."""
    from amaranth.back import verilog
    from nvlut.hdl import NvlutMac
    component = NvlutMac(params)
    return verilog.convert(component, name=top or params.name, emit_src=False), component


def run(args):
    from .design_set import describe

    params = params_from_args(args)
    top = check_top(args.top) or params.name
    if args.vectors < 0:
        raise CliError(f"--vectors: {args.vectors} is not allowed; use 0 or more")
    out = args.output
    if out.suffix != ".v":
        raise CliError(f"-o/--output: {out} does not end in .v; name the Verilog file, e.g. "
                       f"mac.v (the package files are named after it)")
    package = None
    if not args.verilog_only:
        from nvlut.verif.package import file_names
        package = {name: out.with_name(name) for name in file_names(out.stem).values()}
    for path in [out, *(package or {}).values()]:
        check_output(path, "-o/--output", args.force)
    text, component = verilog_for(params, top)
    written = write_if_changed(out, text, args.force)
    print(f"{out}: {top}, latency {component.latency}, "
          f"accumulator {component.acc_width} bits{'' if written else ' (unchanged)'}")
    if package:
        from nvlut.verif.package import package_files
        record = dict(describe(params, component, out.name), top=top)
        for name, data in package_files(params, record, out.stem, args.vectors,
                                        args.seed).items():
            state = "written" if write_if_changed(package[name], data, args.force) else "unchanged"
            print(f"{package[name]} ({state})")
    return 0
