"""The Verilog of one NVLUT MAC design (``verilog_for``); the ``nvlut generate`` command that writes
it with its integration package is :mod:`nvlut.verif.package`.

The top module is named after the parameters (``MacParams.name``) unless another is given; the
same parameters always give the same bytes (no source locations, paths or timestamps).
"""


def verilog_for(params, top=None):
    """``(text, component)``: the Verilog of ``NvlutMac(params)`` with top module ``top``."""
    from amaranth.back import verilog
    from nvlut.hdl import NvlutMac
    component = NvlutMac(params)
    return verilog.convert(component, name=top or params.name, emit_src=False), component
