"""The Verilog stream harness around a generated MAC, and the files it reads and writes.

No Python runs per clock cycle: the harness module ``nvlut_tb`` reads the stimulus itself, one beat
per handshake, drives ``i``, the configuration port and the fault port, pulls ``o__ready`` from a
back-pressure pattern, checks the output stream protocol and writes every accepted output to a file.
cocotb only drives the clock and waits for ``done`` (see :mod:`nvlut.verif.cocotb_stream`).

Sequence after time 0: 4 cycles of reset; one ``cfg`` write per table word (``lut_storage=ram``);
one ``fault`` write per faulty word (designs with ``fault_port``); then the stream. Files (paths
from plusargs):

- ``+stim=<file>``: binary, one record of ``ceil((P + 16) / 8)`` bytes per beat, big-endian (as
  ``$fread`` loads a register), holding ``{gap[15:0], payload[P-1:0]}``: the beat is presented after
  ``gap`` idle cycles (``i__valid`` low) following the previous handshake. ``+beats=<n>``.
- ``+cfg=<file>``: one table word per line (hex), ``+cfg_words=<n>`` (0: no configuration).
- ``+fault=<file>``: one ``<addr> <mask>`` line (hex) per faulty stored word, written with
  ``fault__en`` high (the mask is XORed into the stored word), ``+fault_words=<n>``.
- ``+ready=<file>``: one bit per line, ``+ready_len=<r>`` (1..65536): ``o__ready`` in cycle ``c`` of
  the stream phase is ``pattern[c mod r]``.
- ``+out=<file>``: per accepted output ``<payload hex> <cycle hex>``; ``+outputs=<n>`` expected.
- ``+last=<file>``: per accepted ``last`` beat, ``<cycle hex>`` (latency = output cycle minus this).
- ``+status=<file>``: at the end ``cycles outputs protocol_errors extra_outputs timeout`` (decimal).
- ``+waves=<file>``: dump a waveform of ``nvlut_tb``.
- ``+activity=<file>``: a VCD of the design's own nets (``$dumpvars(1, dut)``: for a flat gate-level
  netlist every net, without the cells' internals) from the first cycle of the stream phase (after
  reset, cfg and fault writes) until the last expected output is accepted (``$dumpoff``): the
  switching activity of :mod:`nvlut.energy`. Not together with ``+waves`` (one dump file).

The stimulus is binary because reading it dominated the simulator's time with ``$fscanf`` (a
character at a time, twice as many characters as bytes); the short cfg and fault files stay text.
The harness stops ``DRAIN`` cycles after the last expected output (counting any output beyond the
expected number as ``extra_outputs``), or after ``TIMEOUT`` cycles without a handshake on either
stream (``timeout`` = 1).
"""

import dataclasses
import re

import numpy as np

#: cycles without any handshake after which the harness gives up
TIMEOUT = 10_000
#: cycles the harness keeps watching for unexpected outputs after the last expected one
DRAIN = 64
#: bits of the per-beat idle-cycle count in a stimulus record
GAP_BITS = 16
#: largest back-pressure pattern
READY_MAX = 1 << 16
#: module name of the harness
TOP = "nvlut_tb"


@dataclasses.dataclass(frozen=True)
class Field:
    offset: int
    width: int


@dataclasses.dataclass(frozen=True)
class Ports:
    """What the harness needs to know about a DUT's Verilog interface.

    ``inputs`` / ``outputs`` map every Verilog port name to its width; ``i_fields`` / ``o_fields``
    map payload field names to their bit ranges.
    """

    module: str
    inputs: dict
    outputs: dict
    i_fields: dict
    o_fields: dict

    @property
    def i_width(self):
        return self.inputs["i__payload"]

    @property
    def o_width(self):
        return self.outputs["o__payload"]

    @property
    def has_cfg(self):
        return "cfg__en" in self.inputs

    @property
    def has_fault(self):
        return "fault__en" in self.inputs


_PORT_RE = re.compile(r"\b(input|output)\s+(?:wire\s+|reg\s+)?(?:\[(\d+):0\]\s*)?(\w+)\s*[;,)]")


def verilog_ports(verilog, module):
    """``(inputs, outputs)``: port name -> width of ``module`` (non-ANSI, as Yosys writes it, or ANSI)."""
    m = re.search(rf"^module\s+\\?{re.escape(module)}\s*\(", verilog, re.M)
    if m is None:
        raise ValueError(f"module {module!r} not found in the generated Verilog")
    end = verilog.index("endmodule", m.end())
    inputs, outputs = {}, {}
    for d, msb, name in _PORT_RE.findall(verilog[m.end():end]):
        (inputs if d == "input" else outputs)[name] = int(msb or 0) + 1
    return inputs, outputs


def record_bytes(ports):
    """Bytes per stimulus record: the payload and the gap count, whole bytes."""
    return (ports.i_width + GAP_BITS + 7) // 8


def _write_phase(ports, port, read):
    """Declarations, connections and ``always`` branch of the write phase through ``port``
    (``cfg`` or ``fault``): one line of ``+<port>=<file>`` per cycle with ``<port>__en`` high, then
    ``en`` low for a cycle. Each line holds the fields ``read`` in hex; a field not read (the cfg address) is
    the line number."""
    decl, conns, sets = f"  reg {port}_en = 0;\n", [f".{port}__en({port}_en)"], []
    for field in ("addr", "data", "mask"):
        width = ports.inputs.get(f"{port}__{field}")
        if width is None:
            continue
        decl += f"  reg [{width - 1}:0] {port}_{field} = 0;\n"
        conns.append(f".{port}__{field}({port}_{field})")
        if field in read:
            decl += f"  reg [{width - 1}:0] {port}_{field}_in;\n"
        sets.append(f"{port}_{field} <= {f'{port}_{field}_in' if field in read else f'n{port}'};")
    fmt = " ".join("%h" for _ in read)
    regs = ", ".join(f"{port}_{field}_in" for field in read)
    branch = f"""\
      end else if (n{port} < {port}_words) begin
        r = $fscanf(f{port}, "{fmt}\\n", {regs});
        {port}_en <= 1; {" ".join(sets)}
        n{port} = n{port} + 1;
      end else if ({port}_en) begin
        {port}_en <= 0;
"""
    return decl, conns, branch


def harness_verilog(ports):
    """The text of module ``nvlut_tb`` instantiating ``ports.module``."""
    p, o = ports.i_width, ports.o_width
    s = p + GAP_BITS
    rec = 8 * record_bytes(ports)
    last = ports.i_fields["last"].offset
    conns = [".clk(clk)", ".rst(rst)", ".i__valid(i_valid)", ".i__ready(i_ready)",
             ".i__payload(i_payload)", ".o__valid(o_valid)", ".o__ready(o_ready)",
             ".o__payload(o_payload)"]
    decls, phases = "", ""
    if not ports.has_cfg:
        phases += "      end else if (ncfg < cfg_words) begin\n        ncfg = cfg_words;\n"
    for port, read, present in (("cfg", ("data",), ports.has_cfg),
                                ("fault", ("addr", "mask"), ports.has_fault)):
        if present:
            decl, c, phase = _write_phase(ports, port, read)
            decls, phases, conns = decls + decl, phases + phase, conns + c
    driven = {"clk", "rst", "i__valid", "i__payload", "o__ready"}
    driven |= {c[1:c.index("(")] for c in conns}
    conns += [f".{name}({width}'d0)" for name, width in sorted(ports.inputs.items())
              if name not in driven]
    return f"""\
// Generated by nvlut.verif.harness: stream harness for {ports.module} (see its docstring).
module {TOP}(input wire clk /*verilator public_flat_rw*/,
  output reg done /*verilator public_flat_rw*/);
  reg rst = 1;
  reg i_valid = 0;
  reg [{p - 1}:0] i_payload = 0;
  wire i_ready;
  wire o_valid;
  wire [{o - 1}:0] o_payload;
  reg o_ready = 0;
{decls}
  {ports.module} dut({", ".join(conns)});

  reg [8*1024-1:0] f_stim, f_cfg, f_fault, f_ready, f_out, f_last, f_status, f_waves, f_activity;
  reg activity = 0, activity_on = 0;
  integer fs, fcfg, ffault, fo, fl, fst, r;
  integer beats, cfg_words, fault_words, ready_len, outputs;
  integer nread = 0, ncfg = 0, nfault = 0, nout = 0, perr = 0, extra = 0, timeout = 0;
  integer cycle = 0, stream_cycle = 0, idle = 0, drain = 0, ridx = 0;
  reg [0:0] ready_pat [0:{READY_MAX - 1}];
  reg [{rec - 1}:0] word;
  reg [{GAP_BITS - 1}:0] gap = 0;
  reg loaded = 0;
  reg prev_stall = 0;
  reg [{o - 1}:0] prev_payload = 0;

  initial begin
    done = 0;
    if (!$value$plusargs("beats=%d", beats)) beats = 0;
    if (!$value$plusargs("cfg_words=%d", cfg_words)) cfg_words = 0;
    if (!$value$plusargs("fault_words=%d", fault_words)) fault_words = 0;
    if (!$value$plusargs("ready_len=%d", ready_len)) ready_len = 0;
    if (!$value$plusargs("outputs=%d", outputs)) outputs = 0;
    if (beats > 0 && $value$plusargs("stim=%s", f_stim)) fs = $fopen(f_stim, "rb");
    if (cfg_words > 0 && $value$plusargs("cfg=%s", f_cfg)) fcfg = $fopen(f_cfg, "r");
    if (fault_words > 0 && $value$plusargs("fault=%s", f_fault)) ffault = $fopen(f_fault, "r");
    if (ready_len > 0 && $value$plusargs("ready=%s", f_ready)) $readmemh(f_ready, ready_pat, 0, ready_len - 1);
    if ($value$plusargs("out=%s", f_out)) fo = $fopen(f_out, "w");
    if ($value$plusargs("last=%s", f_last)) fl = $fopen(f_last, "w");
    if (!$value$plusargs("status=%s", f_status)) f_status = "status.txt";
    if ($value$plusargs("waves=%s", f_waves)) begin
      $dumpfile(f_waves);
      $dumpvars(0, {TOP});
    end
    if ($value$plusargs("activity=%s", f_activity)) activity = 1;
  end

  always @(posedge clk) begin
    cycle = cycle + 1;
    if (done) begin
    end else if (cycle <= 4) begin
      rst <= (cycle < 4);
{phases}      end else begin
      if (activity && !activity_on && nout < outputs) begin
        $dumpfile(f_activity);
        $dumpvars(1, dut);
        activity_on = 1;
      end
      // output side: record, check the stream rules, draw the next o__ready
      if (o_valid && o_ready) begin
        if (nout < outputs) $fwrite(fo, "%h %h\\n", o_payload, stream_cycle);
        else extra = extra + 1;
        nout = nout + 1;
        if (activity_on && nout == outputs) $dumpoff;
        idle = 0;
      end
      if (prev_stall && (!o_valid || o_payload !== prev_payload)) perr = perr + 1;
      prev_stall = o_valid && !o_ready;
      prev_payload = o_payload;
      o_ready <= (ready_len == 0) ? 1'b1 : ready_pat[ridx];
      ridx = (ridx + 1 >= ready_len) ? 0 : ridx + 1;
      // input side: complete a handshake, then fetch and present the next beat after its gap
      if (i_valid && i_ready) begin
        if (i_payload[{last}]) $fwrite(fl, "%h\\n", stream_cycle);
        idle = 0;
      end
      if (!i_valid || i_ready) begin
        i_valid <= 0;
        if (!loaded && nread < beats) begin
          r = $fread(word, fs);
          gap = word[{s - 1}:{p}];
          nread = nread + 1;
          loaded = 1;
        end
        if (loaded) begin
          if (gap == 0) begin
            i_valid <= 1;
            i_payload <= word[{p - 1}:0];
            loaded = 0;
          end else begin
            gap = gap - 1;
          end
        end
      end
      stream_cycle = stream_cycle + 1;
      idle = idle + 1;
      if (nout >= outputs) drain = drain + 1;
      if (idle > {TIMEOUT}) timeout = 1;
      if (drain > {DRAIN} || timeout) begin
        fst = $fopen(f_status, "w");
        $fwrite(fst, "%0d %0d %0d %0d %0d\\n", stream_cycle, nout, perr, extra, timeout);
        $fclose(fst);
        if (fo) $fclose(fo);
        if (fl) $fclose(fl);
        $dumpflush;
        done <= 1;
      end
    end
  end
endmodule
"""


# ----------------------------------------------------------------------------------------------
# files


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def pack_fields(n, width, fields):
    """Pack ``fields`` (list of ``(offset, bits, values uint64[n])``) into uint64 words [n, k]."""
    words = np.zeros((n, (width + 63) // 64), dtype=np.uint64)
    for offset, bits, values in fields:
        v = np.asarray(values, dtype=np.uint64) & np.uint64((1 << bits) - 1)
        k, sh = divmod(offset, 64)
        words[:, k] |= v << np.uint64(sh)
        if sh + bits > 64:
            words[:, k + 1] |= v >> np.uint64(64 - sh)
    return words


def binary_records(words, nbytes):
    """Big-endian records of ``nbytes`` bytes (the stimulus file) for uint64 words [n, k]."""
    n, k = words.shape
    if nbytes > 8 * k:
        raise ValueError(f"nbytes: {nbytes} exceeds the {8 * k} bytes of the words")
    data = np.ascontiguousarray(words[:, ::-1]).astype(">u8").view(np.uint8).reshape(n, 8 * k)
    return data[:, 8 * k - nbytes:].tobytes()


def fault_lines(fault_words):
    """The ``+fault`` file: one ``<addr> <mask>`` hex line per (address, mask) pair."""
    return "".join(f"{addr:x} {mask:x}\n" for addr, mask in fault_words)


def parse_fault_map(text, depth, what):
    """The fault map (``uint64[depth]``) of the text of a ``+fault`` file (repeated addresses
    accumulate); ``ValueError`` naming ``what`` for a malformed line or an address out of range."""
    fault_map = np.zeros(depth, np.uint64)
    for k, line in enumerate(text.splitlines(), 1):
        try:
            addr, mask = (int(x, 16) for x in line.split())
        except ValueError:
            raise ValueError(f"{what}: line {k} is not '<addr hex> <mask hex>': {line!r}") from None
        if not 0 <= addr < depth or not 0 <= mask < 1 << 64:
            raise ValueError(f"{what}: line {k}: address {addr:#x} outside the table of {depth} "
                             f"words or mask {mask:#x} wider than 64 bits")
        fault_map[addr] ^= np.uint64(mask)
    return fault_map


def parse_hex_columns(data, widths, what):
    """Parse fixed-width lines of space-separated hex columns -> list of uint64 word arrays.

    Column ``c`` is ``ceil(widths[c] / 4)`` digits wide; returns for each column uint64 [n, k].
    Raises ``RuntimeError`` naming ``what`` on X/Z or malformed lines.
    """
    digits = [(w + 3) // 4 for w in widths]
    line = sum(digits) + len(digits)
    raw = np.frombuffer(data, dtype=np.uint8)
    if raw.size % line:
        raise RuntimeError(f"{what}: malformed harness output (size {raw.size} is not a multiple "
                           f"of the line length {line})")
    raw = raw.reshape(-1, line)
    lut = np.full(256, 255, dtype=np.uint8)
    lut[_HEX] = np.arange(16, dtype=np.uint8)
    lut[np.frombuffer(b"ABCDEF", dtype=np.uint8)] = np.arange(10, 16, dtype=np.uint8)
    cols, pos = [], 0
    for d in digits:
        nib = lut[raw[:, pos:pos + d]]
        if (nib == 255).any():
            bad = int(np.nonzero((nib == 255).any(axis=1))[0][0])
            raise RuntimeError(f"{what}: line {bad} holds X/Z or non-hex characters: "
                               f"{bytes(raw[bad]).decode(errors='replace').strip()!r}")
        k = (d + 15) // 16
        full = np.zeros((raw.shape[0], 16 * k), dtype=np.uint64)
        full[:, 16 * k - d:] = nib
        full = full.reshape(-1, k, 16)[:, ::-1, :]
        shifts = np.arange(15, -1, -1, dtype=np.uint64) * np.uint64(4)
        cols.append((full << shifts).sum(axis=2, dtype=np.uint64))
        pos += d + 1
    return cols


def field_values(words, field):
    """Extract ``field`` (offset, width <= 64) from uint64 words [n, k] -> uint64[n]."""
    k, sh = divmod(field.offset, 64)
    v = words[:, k] >> np.uint64(sh)
    if sh + field.width > 64:
        v |= words[:, k + 1] << np.uint64(64 - sh)
    if field.width < 64:
        v &= np.uint64((1 << field.width) - 1)
    return v
