"""Parse what the Yosys scripts write (``stat -json``, ``ltp``, ``dump``) into metrics.

Every function takes the text of one output file and returns plain numbers, so that results can be
cached as JSON and tested without running Yosys.
"""

import dataclasses
import json
import re


@dataclasses.dataclass
class Stat:
    """One ``stat -json`` result for the (flattened) design or the selected part of it."""

    cells: dict          # cell type -> count
    transistors: int     # ``-tech cmos`` estimate (0 without it or for an empty selection)
    transistors_exact: bool  # False when Yosys marked the estimate with '+' (unknown cells)
    area: float          # ``-liberty`` area (0 without it)

    @property
    def num_cells(self):
        return sum(self.cells.values())


def parse_stat_json(text):
    """Parse ``stat -json`` output (design totals; an empty selection gives zeros)."""
    data = json.loads(text)
    top = data.get("design")
    if top is None:
        modules = data.get("modules", {})
        if len(modules) > 1:
            raise ValueError("stat -json: several modules and no design totals; flatten first")
        top = next(iter(modules.values()), {})
    cells = {t: int(n) for t, n in top.get("num_cells_by_type", {}).items() if t != "$scopeinfo"}
    tran = str(top.get("estimated_num_transistors", "0"))
    return Stat(cells=cells, transistors=int(tran.rstrip("+")), transistors_exact=not
                tran.endswith("+"), area=float(top.get("area", 0.0)))


_LTP_RE = re.compile(r"^Longest topological path in \S+ \(length=(\d+)\)", re.M)


def parse_ltp(text):
    """Length (cells on the path) reported by ``ltp``; 0 for a design without cells."""
    lengths = [int(m) for m in _LTP_RE.findall(text)]
    if not lengths:
        if "No cells" in text or not text.strip() or "Executing LTP" in text:
            return 0
        raise ValueError("ltp: no 'Longest topological path' line in the output")
    return max(lengths)


_MEM_CELL_RE = re.compile(r"^\s*cell \$mem(?:_v2)? ", re.M)
_PARAM_RE = re.compile(r"^\s*parameter \\(WIDTH|SIZE|WR_PORTS) (\d+)\s*$", re.M)


def parse_memory_bits(text):
    """Total bits (WIDTH * SIZE) of the writable memories (WR_PORTS > 0) in an RTLIL ``dump`` of
    ``$mem_v2`` cells; read-only memories are constant tables, i.e. logic."""
    total = 0
    for chunk in _MEM_CELL_RE.split(text)[1:]:
        params = {k: int(v) for k, v in _PARAM_RE.findall(chunk.split("\n  end", 1)[0])}
        if params["WR_PORTS"] > 0:
            total += params["WIDTH"] * params["SIZE"]
    return total


def _count(cells, pattern):
    rx = re.compile(pattern)
    return sum(n for t, n in cells.items() if rx.fullmatch(t))


def ice40_metrics(stat):
    """iCE40 resources: LUT4s, carry cells, flip-flops, block RAMs, DSPs and anything else."""
    c = stat.cells
    m = {"lut4": _count(c, r"SB_LUT4"), "carry": _count(c, r"SB_CARRY"),
         "ff": _count(c, r"SB_DFF\w*"), "bram": _count(c, r"SB_RAM40_4K\w*|SB_SPRAM256KA"),
         "dsp": _count(c, r"SB_MAC16")}
    m["other"] = stat.num_cells - sum(m.values())
    return m


_XILINX_LUTRAM = r"RAM(16|32|64|128|256)X\dS|RAM(32|64)X1D|RAM128X1D|RAM(32|64)M|RAM32M16|RAM64M8"


def xilinx_metrics(stat):
    """7-series resources: LUTs (total and by size; INV counts as LUT1), CARRY4, MUXF7/8, flip-flops, DSP48E1, block
    RAM, LUT RAM, shift-register LUTs and anything else."""
    c = stat.cells
    luts = {f"lut{k}": _count(c, f"LUT{k}") for k in range(1, 7)}
    luts["lut1"] += _count(c, "INV")  # an inverter occupies a LUT1
    m = {"lut": sum(luts.values()), **luts, "carry4": _count(c, r"CARRY4"),
         "muxf": _count(c, r"MUXF[78]"), "ff": _count(c, r"FD\w*|LD\w*"),
         "dsp": _count(c, r"DSP48E1"), "bram": _count(c, r"RAMB(18|36)E1"),
         "lutram": _count(c, _XILINX_LUTRAM), "srl": _count(c, r"SRL16E|SRLC32E")}
    m["other"] = stat.num_cells - sum(v for k, v in m.items() if k not in luts)
    return m


def _split_ff(ff_count, ff_cost, table_bits):
    """Split flip-flop count and cost into table storage (``table_bits`` flip-flops) and the rest;
    every flip-flop is the same cell (``gates.ys`` legalizes them all to one type)."""
    if table_bits > ff_count:
        raise ValueError(f"table_bits: {table_bits} table bits but only {ff_count} flip-flops")
    table_cost = ff_cost * table_bits / ff_count if ff_count else 0
    return (ff_count - table_bits, ff_cost - table_cost), (table_bits, table_cost)


def cmos_metrics(all_stat, ff_stat, table_bits):
    """Generic CMOS: transistors of logic, of flip-flops and of table storage (writable table bits,
    one flip-flop each), gate and flip-flop counts."""
    (ff, ff_tr), (_, table_tr) = _split_ff(ff_stat.num_cells, ff_stat.transistors, table_bits)
    return {"transistors_logic": all_stat.transistors - ff_stat.transistors,
            "transistors_ff": round(ff_tr), "transistors_table": round(table_tr),
            "gates": all_stat.num_cells - ff_stat.num_cells, "ff": ff, "table_bits": table_bits}


def liberty_metrics(all_stat, ff_stat, table_bits):
    """Standard cells: area (um^2) of logic, flip-flops and table storage; cell counts."""
    (ff, ff_area), (_, table_area) = _split_ff(ff_stat.num_cells, ff_stat.area, table_bits)
    return {"area_logic": round(all_stat.area - ff_stat.area, 3), "area_ff": round(ff_area, 3),
            "area_table": round(table_area, 3), "cells_logic": all_stat.num_cells - ff_stat.num_cells,
            "ff": ff, "table_bits": table_bits}
