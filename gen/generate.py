"""Generate the Verilog of one NVLUT MAC design.

Example: nvlut generate --weights fp8 --weight-scaling tensor --multiplier lut -o build/mac.v

The top module is named after the parameters (``MacParams.name``) unless --top is given. The file
is written atomically, and only when its content changes; the same parameters always give the same
bytes (no source locations, paths or timestamps).
"""

import pathlib

from nvlut.util.files import write_if_changed

from .params import add_design_arguments, params_from_args


def add_arguments(parser):
    add_design_arguments(parser)
    parser.add_argument("-o", "--output", required=True, type=pathlib.Path,
                        help="Verilog file to write")
    parser.add_argument("--top", help="top module name (default: the design name)")


def verilog_for(params, top=None):
    """``(text, component)``: the Verilog of ``NvlutMac(params)`` with top module ``top``."""
    from amaranth.back import verilog
    from nvlut.hdl import NvlutMac
    component = NvlutMac(params)
    return verilog.convert(component, name=top or params.name, emit_src=False), component


def run(args):
    params = params_from_args(args)
    text, component = verilog_for(params, args.top)
    written = write_if_changed(args.output, text)
    print(f"{args.output}: {args.top or params.name}, latency {component.latency}, "
          f"accumulator {component.acc_width} bits{'' if written else ' (unchanged)'}")
    return 0
