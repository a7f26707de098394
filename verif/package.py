"""Generate the Verilog of one NVLUT MAC design and the package to integrate it.

    nvlut generate <design params> -o mac.v [--top NAME] [--vectors N] [--seed S] [--verilog-only]
                   [--force] [--target-mhz F [--target-flow osu018] [--synth-out DIR]]

With --target-mhz F the pipeline depth is the shallowest whose OSU018 Fmax (``nvlut synth``'s
static timing, its cache) meets F (:mod:`nvlut.cells.target_clock`); no depth meeting F is an
error (exit status 2) naming the best Fmax and its path.

The package is what `nvlut generate` writes beside the Verilog.

For ``<dir>/<stem>.v`` holding the design ``top``:

- ``<stem>.manifest.json``: the design's manifest record (as in ``nvlut verilog``'s manifest.json:
  ports, payload layouts, latency, parameters, table geometry) plus the nvlut version;
- ``lint_waivers.vlt``: the Verilator waivers of generated code (``nvlut.hdl.lint``);
- ``<stem>_tb.v``: a self-checking Verilog-2005 testbench (module ``<top>_tb``) that resets the
  design, loads a writable table through ``cfg``, streams the golden vectors with pseudo-random
  gaps on ``i`` and pseudo-random back-pressure on ``o`` (a 16-bit LFSR, the same in every
  simulator), checks each output bit for bit and the stream rule (``o`` held while stalled), and
  ends with ``PASS`` (``$finish``) or ``$fatal``. Nothing simulator-specific: it runs unchanged on
  Icarus (``iverilog -g2012``) and ``verilator --binary``;
- ``<stem>_vectors.hex``: ``$readmemh`` words: the table image (writable tables), the input beats
  (payload of ``i``), then the expected outputs (payload of ``o``), computed by ``nvlut.golden``
  for the directed special cases and adversarial random dot products of ``nvlut.verif.stimulus``;
- ``<stem>.core``: a FuseSoC CAPI2 core of this one design with targets ``default`` (the RTL),
  ``lint`` (Verilator ``-Wall`` with the waivers) and ``sim`` (the testbench on Icarus; FuseSoC
  runs both through edalize);
- ``<stem>_pkg.sv``: a SystemVerilog package with the ``i`` and ``o`` payloads as packed structs.

Every file is deterministic in the parameters, ``top``, the vector count and the seed.
"""

import importlib.metadata
import json
import pathlib
import re

import numpy as np

from nvlut.util.errors import CliError
from nvlut.util.files import check_output, write_if_changed

#: default number of random dot products in the golden vector file (plus the directed cases)
DEFAULT_VECTORS = 200
#: cycles without a handshake after which the testbench fails
TB_TIMEOUT = 2000


def nvlut_version():
    return importlib.metadata.version("nvlut")


def file_names(stem):
    """The package's files (besides ``<stem>.v``) by role."""
    return {"manifest": f"{stem}.manifest.json", "waivers": "lint_waivers.vlt",
            "testbench": f"{stem}_tb.v", "vectors": f"{stem}_vectors.hex",
            "core": f"{stem}.core", "sv_package": f"{stem}_pkg.sv"}


def golden_vectors(params, n=DEFAULT_VECTORS, seed=0):
    """``(batches, expected)``: the directed cases and ``n`` adversarial random dot products
    (deterministic in ``seed``) and their golden ``(y, flags)``."""
    from . import stimulus, vectors
    rng = np.random.default_rng([seed, 0x7e57])
    parts = [stimulus.directed(params)] + stimulus.adversarial(params, n, rng)
    return parts, vectors.reference(params, parts)


def _ints(words, width):
    """uint64 words [n, k] -> list of Python ints masked to ``width`` bits."""
    out = []
    for row in words:
        v = 0
        for k, word in enumerate(row):
            v |= int(word) << (64 * k)
        out.append(v & ((1 << width) - 1))
    return out


def vector_words(params, record, parts, expected):
    """``(cfg words, input beats, expected outputs)`` as lists of ints for ``record`` (a manifest
    record: ``payload`` field offsets)."""
    from . import harness
    from .design import _cfg_words
    from .harness import Field, Ports
    from .sim import stimulus_words

    fields = {side: {k: Field(v["offset"], v["width"]) for k, v in record["payload"][side].items()}
              for side in ("i", "o")}
    ports = Ports(record["top"], {"i__payload": record["ports"]["i__payload"]["width"]},
                  {"o__payload": record["ports"]["o__payload"]["width"]}, fields["i"], fields["o"])
    beats = []
    for batch in parts:
        words = stimulus_words(ports, batch, np.zeros(batch.beats, np.uint64))
        beats += _ints(words, ports.i_width)
    y, flags = expected
    o_fields = [(fields["o"]["y"].offset, 32, y)]
    o_fields += [(fields["o"][name].offset, 1, flags.get(name, np.zeros(len(y), bool)))
                 for name in fields["o"] if name != "y"]
    outputs = _ints(harness.pack_fields(len(y), ports.o_width, o_fields), ports.o_width)
    return _cfg_words(params), beats, outputs


def vectors_text(record, cfg, beats, outputs):
    """The ``$readmemh`` file: three commented sections, one hex word per line."""
    width = max(record["ports"]["i__payload"]["width"], record["ports"]["o__payload"]["width"])
    digits = (width + 3) // 4
    lines = [f"// nvlut {nvlut_version()} golden vectors for {record['top']}: {len(cfg)} table "
             f"words, {len(beats)} input beats, {len(outputs)} expected outputs"]
    for title, words in (("table image (cfg port, address order)", cfg),
                         ("input beats (payload of i)", beats),
                         ("expected outputs (payload of o)", outputs)):
        lines.append(f"// {title}")
        lines += [f"{w:0{digits}x}" for w in words]
    return "\n".join(lines) + "\n"


def testbench_verilog(record, vectors_file, counts):
    """The self-checking testbench ``<top>_tb`` (see the module docstring); ``counts`` =
    ``(cfg words, beats, outputs)``."""
    top = record["top"]
    ports = record["ports"]
    n_cfg, n_beats, n_out = counts
    i_w, o_w = ports["i__payload"]["width"], ports["o__payload"]["width"]
    v_w = max(i_w, o_w)
    has_cfg = "cfg__en" in ports
    decls = []
    conns = [".clk(clk)", ".rst(rst)", ".i__valid(i_valid)", ".i__ready(i_ready)",
             ".i__payload(i_payload)", ".o__valid(o_valid)", ".o__ready(o_ready)",
             ".o__payload(o_payload)"]
    if has_cfg:
        aw, dw = ports["cfg__addr"]["width"], ports["cfg__data"]["width"]
        decls += ["  reg cfg_en = 1'b0;", f"  reg [{aw - 1}:0] cfg_addr = {aw}'d0;",
                  f"  reg [{dw - 1}:0] cfg_data = {dw}'d0;"]
        conns += [".cfg__en(cfg_en)", ".cfg__addr(cfg_addr)", ".cfg__data(cfg_data)"]
    driven = {c[1:c.index("(")] for c in conns}
    conns += [f".{name}({p['width']}'d0)" for name, p in sorted(ports.items())
              if p["direction"] == "input" and name not in driven]
    cfg_phase = ""
    if has_cfg:
        cfg_phase = f"""\
    end else if (ncfg < CFG_N) begin
      cfg_en <= 1'b1;
      cfg_addr <= ncfg;
      cfg_data <= vec[ncfg][{dw - 1}:0];
      ncfg = ncfg + 1;
    end else if (cfg_en) begin
      cfg_en <= 1'b0;
"""
    conn_text = ",\n    ".join(conns)
    decl_text = "\n".join(decls)
    return f"""\
// Generated by nvlut {nvlut_version()}; do not edit. Self-checking testbench of {top}:
// reset, table load (writable tables), then {n_out} dot products ({n_beats} beats) from
// {vectors_file} with random input gaps and output back-pressure (LFSR), every output compared
// bit for bit with the golden model. Ends with "PASS" and $finish, or $fatal on any error.
// Runs unchanged on Icarus (iverilog -g2012) and Verilator (verilator --binary).
module {top}_tb;
  localparam I_W = {i_w};
  localparam O_W = {o_w};
  localparam CFG_N = {n_cfg};
  localparam BEATS = {n_beats};
  localparam OUTS = {n_out};
  localparam TIMEOUT = {TB_TIMEOUT};
  reg clk = 1'b0;
  reg rst = 1'b1;
  reg i_valid = 1'b0;
  reg [I_W-1:0] i_payload = {i_w}'d0;
  wire i_ready;
  wire o_valid;
  wire [O_W-1:0] o_payload;
  reg o_ready = 1'b0;
{decl_text}
  reg [{v_w - 1}:0] vec [0:CFG_N+BEATS+OUTS-1];
  reg [8*1024-1:0] vectors_file;
  reg [15:0] lfsr = 16'hace1;
  reg stalled = 1'b0;
  reg [O_W-1:0] stalled_payload = {o_w}'d0;
  integer cycle = 0;
  integer ncfg = 0;
  integer nin = 0;
  integer nout = 0;
  integer idle = 0;
  integer errors = 0;

  {top} dut(
    {conn_text}
  );

  always #5 clk = ~clk;

  initial begin
    if (!$value$plusargs("vectors=%s", vectors_file)) vectors_file = "{vectors_file}";
    $readmemh(vectors_file, vec);
  end

  always @(posedge clk) begin
    cycle = cycle + 1;
    lfsr <= {{lfsr[14:0], lfsr[15] ^ lfsr[13] ^ lfsr[12] ^ lfsr[10]}};
    if (cycle <= 4) begin
      rst <= (cycle < 4);
{cfg_phase}    end else begin
      idle = idle + 1;
      if (o_valid && o_ready) begin
        if (o_payload !== vec[CFG_N+BEATS+nout][O_W-1:0]) begin
          errors = errors + 1;
          if (errors <= 10)
            $display("MISMATCH output %0d: got %h, expected %h", nout, o_payload,
                     vec[CFG_N+BEATS+nout][O_W-1:0]);
        end
        nout = nout + 1;
        idle = 0;
      end
      if (stalled && (!o_valid || o_payload !== stalled_payload)) begin
        errors = errors + 1;
        $display("STREAM RULE: o changed while o__ready was low (cycle %0d)", cycle);
      end
      stalled = o_valid && !o_ready;
      stalled_payload = o_payload;
      o_ready <= lfsr[0] | lfsr[1];
      if (i_valid && i_ready) begin
        nin = nin + 1;
        idle = 0;
      end
      if (!i_valid || i_ready) begin
        if (nin < BEATS && (lfsr[2] | lfsr[3])) begin
          i_valid <= 1'b1;
          i_payload <= vec[CFG_N+nin][I_W-1:0];
        end else begin
          i_valid <= 1'b0;
        end
      end
      if (nout == OUTS) begin
        if (errors == 0) begin
          $display("PASS: {top}: %0d dot products bit-exact", OUTS);
          $finish;
        end else begin
          $fatal(1, "FAIL: {top}: %0d errors in %0d dot products", errors,
                 OUTS);
        end
      end else if (idle > TIMEOUT) begin
        $fatal(1, "FAIL: {top}: no handshake for %0d cycles (%0d of %0d outputs)", TIMEOUT, nout,
               OUTS);
      end
    end
  end
endmodule
"""


def _struct(name, fields, width):
    """A packed struct of ``fields`` (name -> offset/width, LSB first), MSB first, gaps padded."""
    members, pos = [], 0
    for fname, f in sorted(fields.items(), key=lambda kv: kv[1]["offset"]):
        if f["offset"] > pos:
            members.append((f"_pad{pos}", f["offset"] - pos))
        members.append((fname, f["width"]))
        pos = f["offset"] + f["width"]
    if width > pos:
        members.append((f"_pad{pos}", width - pos))
    lines = [f"  typedef struct packed {{"]
    lines += [f"    logic [{w - 1}:0] {n};" for n, w in reversed(members)]
    lines.append(f"  }} {name};")
    return lines


def sv_package(record):
    """``<top>_pkg``: the ``i`` and ``o`` payloads as packed structs (``i_payload_t``,
    ``o_payload_t``) and the latency."""
    top = record["top"]
    lines = [f"// Generated by nvlut {nvlut_version()}; do not edit. Payload layouts of {top}",
             "// (field order as in the manifest; the struct's bits are the Verilog port's bits).",
             f"package {top}_pkg;", f"  localparam int LATENCY = {record['latency']};"]
    for side in ("i", "o"):
        lines += _struct(f"{side}_payload_t", record["payload"][side],
                         record["ports"][f"{side}__payload"]["width"])
    lines.append("endpackage")
    return "\n".join(lines) + "\n"


def core_text(record, stem):
    """The FuseSoC CAPI2 core of one design."""
    names = file_names(stem)
    top = record["top"]
    return f"""\
CAPI=2:
# Generated by nvlut {nvlut_version()}; do not edit.
name: nvlut:nvlut:{top}:{nvlut_version()}
description: NVLUT MAC {top} generated by nvlut

filesets:
  rtl:
    files:
      - {stem}.v
    file_type: verilogSource
  waivers:
    files:
      - {names['waivers']}: {{file_type: vlt}}
  tb:
    files:
      - {names['vectors']}: {{file_type: user, copyto: {names['vectors']}}}
      - {names['testbench']}: {{file_type: verilogSource}}

targets:
  default:
    filesets: [rtl]
  lint:
    default_tool: verilator
    filesets: [waivers, rtl]
    toplevel: {top}
    tools:
      verilator:
        mode: lint-only
        verilator_options: [-Wall]
  sim:
    default_tool: icarus
    filesets: [rtl, tb]
    toplevel: {top}_tb
    tools:
      icarus:
        iverilog_options: [-g2012]
"""


def package_files(params, record, stem, n=DEFAULT_VECTORS, seed=0):
    """``{file name: text}`` of the package of one design (see the module docstring)."""
    from nvlut.hdl.lint import WAIVERS

    names = file_names(stem)
    parts, expected = golden_vectors(params, n, seed)
    cfg, beats, outputs = vector_words(params, record, parts, expected)
    manifest = dict(record, nvlut_version=nvlut_version())
    return {
        names["manifest"]: json.dumps(manifest, indent=2, sort_keys=True) + "\n",
        names["waivers"]: WAIVERS.read_text(),
        names["testbench"]: testbench_verilog(record, names["vectors"],
                                              (len(cfg), len(beats), len(outputs))),
        names["vectors"]: vectors_text(record, cfg, beats, outputs),
        names["core"]: core_text(record, stem),
        names["sv_package"]: sv_package(record),
    }


def add_arguments(parser):
    from nvlut.gen.params import add_design_arguments, add_seed_argument
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
    from nvlut.cells.target_clock import add_target_arguments
    add_target_arguments(parser)


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def check_top(top):
    """``top`` if it is a plain Verilog identifier, else :class:`CliError` naming ``--top``."""
    if top is not None and (not _IDENTIFIER.match(top) or len(top) > 1024):
        raise CliError(f"--top: {top!r} is not a Verilog identifier; use letters, digits, _ and $, "
                       f"starting with a letter or _")
    return top


def run(args):
    from nvlut.gen.design_set import describe
    from nvlut.gen.generate import verilog_for
    from nvlut.cells import target_clock

    params = target_clock.base_params(args)
    top = check_top(args.top)
    if args.vectors < 0:
        raise CliError(f"--vectors: {args.vectors} is not allowed; use 0 or more")
    out = args.output
    if out.suffix != ".v":
        raise CliError(f"-o/--output: {out} does not end in .v; name the Verilog file, e.g. "
                       f"mac.v (the package files are named after it)")
    package = None
    if not args.verilog_only:
        package = {name: out.with_name(name) for name in file_names(out.stem).values()}
    for path in [out, *(package or {}).values()]:
        check_output(path, "-o/--output", args.force)
    params = target_clock.params_for(args, params)  # the long part: after every check
    top = top or params.name
    text, component = verilog_for(params, top)
    written = write_if_changed(out, text, args.force)
    print(f"{out}: {top}, latency {component.latency}, "
          f"accumulator {component.acc_width} bits{'' if written else ' (unchanged)'}")
    if package:
        record = dict(describe(params, component, out.name), top=top)
        for name, data in package_files(params, record, out.stem, args.vectors,
                                        args.seed).items():
            state = "written" if write_if_changed(package[name], data, args.force) else "unchanged"
            print(f"{package[name]} ({state})")
    return 0
