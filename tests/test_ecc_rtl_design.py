"""ECC in the generated design: the ``ecc`` parameter, codecs, the fault port, the design set's
ECC variants in the manifest, and the ``nvlut faults`` RTL replay of every ECC mode.

Storage geometry is checked against the golden fault model (``nvlut.golden.faults``), which
derives the tables and the stored-word layout on its own.
"""

import json

import numpy as np
import pytest
from amaranth.hdl import Fragment
from amaranth.sim import Simulator

from nvlut.gen import cli
from nvlut.gen.design_set import DEFAULT_DESIGNS, describe
from nvlut.gen.generate import verilog_for
from nvlut.spec.params import MacParams
from nvlut.golden import faults
from nvlut.spec.storage import storage_layout
from nvlut.hdl import NvlutMac
from nvlut.hdl.lint import lint
from nvlut.hdl.lut_storage import IdentityCodec, LutStorage, codec_for
from nvlut.hdl.secded import SecdedCodec

TABLES = [("lut", "fp4"), ("lut", "fp8"), ("lut", "fp16"), ("fulllut", "fp4"), ("fulllut", "fp8")]


def ram(multiplier="lut", weights="fp4", **kw):
    return MacParams(multiplier=multiplier, weights=weights, lut_storage="ram", **kw)


def mac(params):
    """``NvlutMac(params)``, elaborated (so that Amaranth does not warn it was never used)."""
    component = NvlutMac(params)
    Fragment.get(component, None)
    return component


@pytest.mark.parametrize("multiplier,weights", TABLES)
def test_msb_range_follows_the_entry_width(multiplier, weights):
    width = faults.lut_table(multiplier, weights).width
    for k in (1, width):
        assert ram(multiplier, weights, ecc=f"msb{k}").ecc_protected_bits == k
    assert ram(multiplier, weights, ecc="secded").ecc_protected_bits == width
    assert ram(multiplier, weights).ecc_protected_bits == 0
    with pytest.raises(ValueError, match=rf"^ecc: .*{width}-bit .* msb1 \.\. msb{width} or secded"):
        ram(multiplier, weights, ecc=f"msb{width + 1}")


def test_cli_rejects_msb_beyond_the_entry(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["generate", "--lut-storage", "ram", "--ecc", "msb5", "-o",
                  str(tmp_path / "x.v")])
    assert exc.value.code == 2
    assert "ecc: cannot protect 5 bits of a 4-bit table entry" in capsys.readouterr().err
    assert not (tmp_path / "x.v").exists()


@pytest.mark.parametrize("multiplier,ecc", [("lut", "none"), ("lut", "secded"), ("lut", "msb2"),
                                            ("fulllut", "secded"), ("fulllut", "msb4")])
def test_codec_and_ports(multiplier, ecc):
    """The stored word is the golden layout's; the fault port masks exactly that word and exists
    only with fault_port; cfg takes plain entries."""
    table = faults.lut_table(multiplier, "fp4")
    layout = storage_layout(table.width, ecc)
    params = ram(multiplier, ecc=ecc)
    codec = codec_for(params)
    assert isinstance(codec, IdentityCodec if ecc == "none" else SecdedCodec)
    assert (codec.entry_width, codec.word_width) == (table.width, layout.stored_bits)
    assert "fault" not in mac(params).signature.members
    injectable = params.replace(fault_port=True)
    assert injectable.name == params.name + "_fi"
    dut = mac(injectable)
    assert len(dut.fault.mask) == layout.stored_bits
    assert 2 ** len(dut.fault.addr) >= table.depth
    assert len(dut.cfg.data) == table.width


def test_fault_write_takes_precedence_over_cfg():
    """Same cycle, same word: the fault XOR lands, the cfg write is lost (docs/hardware.md)."""
    params = ram(ecc="none", fault_port=True)
    dut = LutStorage(params, ports=1)
    seen = []

    async def bench(ctx):
        for data, mask, en in ((0b0101, 0, 0), (0b1111, 0b0011, 1)):
            ctx.set(dut.write.en, 1)
            ctx.set(dut.write.addr, 7)
            ctx.set(dut.write.data, data)
            ctx.set(dut.fault.en, en)
            ctx.set(dut.fault.addr, 7)
            ctx.set(dut.fault.mask, mask)
            await ctx.tick()
        ctx.set(dut.read[0].addr, 7)
        seen.append(ctx.get(dut.read[0].data))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert seen == [0b0101 ^ 0b0011]


def test_design_set_ecc_variants_in_manifest():
    ecc_designs = {(p.multiplier, p.ecc) for p in DEFAULT_DESIGNS if p.lut_storage == "ram"}
    assert ecc_designs == {("lut", "none"), ("lut", "secded"), ("lut", "msb2"),
                           ("fulllut", "none"), ("fulllut", "secded")}
    for params in DEFAULT_DESIGNS:
        if params.lut_storage != "ram":
            continue
        record = describe(params, mac(params), f"{params.name}.v")["table"]
        table = faults.lut_table(params.multiplier, params.weights)
        layout = storage_layout(table.width, params.ecc)
        assert record["ecc"] == params.ecc
        assert record["protected_bits"] == layout.protected
        assert record["check_bits"] == layout.check_bits
        assert record["data_bits"] == table.depth * table.width
        assert record["storage_bits"] == table.depth * layout.stored_bits


def test_fault_port_design_lints(tmp_path):
    params = ram(ecc="secded", fault_port=True, block=4)
    text, _ = verilog_for(params)
    path = tmp_path / f"{params.name}.v"
    path.write_text(text)
    ok, messages = lint(path, params.name)
    assert ok, messages
    assert all(f"input {w}fault__{name};" in text
               for w, name in (("", "en"), ("[3:0] ", "addr"), ("[7:0] ", "mask")))


def test_campaign_replays_every_mode_through_the_fault_port(tmp_path):
    """``nvlut faults --sim amaranth``: one faulty trial per ECC mode replayed on the RTL."""
    eccs = ["none", "msb4", "secded"]
    assert cli.main(["faults", "--block", "4", "--n", "16", "--nb", "2", "--trials", "4",
                     "--ber", "2e-2", "--ecc", ",".join(eccs), "--rtl-sample", "16",
                     "--sim", "amaranth", "--out", str(tmp_path)]) == 0
    summary = json.loads(next(tmp_path.glob("*/faults.json")).read_text())
    replay = summary["rtl_replay"]
    assert replay["agree"] and replay["not_replayed"] == []
    assert [r["ecc"] for r in replay["modes"]] == eccs
    for r in replay["modes"]:
        assert r["design"].endswith("_fi") and r["mismatches"] == 0 and r["flipped_bits"] > 0
        assert r["changed"] + r["flagged"] > 0
    assert {r["ecc"] for r in replay["modes"] if r["flagged"]} >= {"secded"}
    assert np.sum([r["changed"] for r in replay["modes"] if r["ecc"] == "none"]) > 0
