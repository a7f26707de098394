"""Every modelling assumption of ``nvlut explore``, in one place; the report prints this file's
:data:`TEXT`.

Table supply voltage -> bit error rate: the model of ``nvlut energy`` (one data file, one model;
:func:`nvlut.energy.voltage.load_ber`), the measured points of Salami et al., "Comprehensive
Evaluation of Supply Voltage Underscaling in FPGA on-chip Memories", MICRO 2018 (data: GitHub
behzadsalami/FPGA-BRAMs-Undervoltig-Study; packaged as ``nvlut/energy/ber_salami_micro2018.csv``:
28 nm Xilinx VC707 BRAMs, nominal 1.0 V, fault-free down to 0.61 V, 1.19e-7 at 0.60 V .. 7.0e-4 at
0.54 V, the crash point), interpolated log-linearly between points. These are timing faults of FPGA
BRAM at a fixed clock, not 6T-SRAM retention failures, and the MAC's table here is synthesized to
flip-flops in OSU 0.18 um: the model only says "how many bits flip at this relative undervolting",
and the voltage axis is that study's (28 nm, 1.0 V nominal). Voltages outside the data (below the
crash point, above nominal) are rejected.

Voltage scaling applies to writable table storage only (``lut_storage = ram``): a ``rom`` table is
logic on the core supply and ``mul`` has no table, so points scaling their voltage need ``ram``.

Accuracy loss (percentage points) of a point, averaged over the models of the workload:
``(float32 accuracy - accuracy with the point's number formats)`` on the whole test set (fake
quantization, ``nvlut.ablate``), plus, when the table voltage gives a nonzero bit error rate, the
fault penalty ``exact accuracy fault-free - exact accuracy with a random fault map at that rate``
(``nvlut.ablate.faults.TableFault`` on the point's own multiplier, storage and ECC; the MAC's exact
arithmetic, ``nvlut.golden``) on the first ``exact_samples`` test samples, averaged over
``fault_trials`` fault maps. Activations are NVFP4 with the point's block size B; weights are NVFP4
(B) for block-scaled fp4, FP4 with an FP32 tensor scale for tensor-scaled fp4, E4M3 with the tensor
scale amax/448 for fp8 and binary16 for fp16 (the formats of ``nvlut.ablate.quant``). Block-scaled
fp8/fp16 weights have no ablate format: their accuracy is reported as not available.

Fmax (MHz) is ``nvlut synth``'s static timing (``cells/timing.py``, the same result and cache):
``1000 / (clock period - worst slack)`` from OpenSTA 2.0.17 ``report_checks`` on the OSU 0.18 um
netlist (one corner, 1.8 V), with a clock on ``clk`` and zero input / output delays on every other
port, so register-to-register and port paths both count.

Area is the OSU 0.18 um standard-cell area (um^2: logic, flip-flops and writable table bits) of the
``gates`` flow of ``nvlut synth``. Energy per MAC comes from ``nvlut energy`` when it is installed.

The seed paper's operating point is fp4 weights with block scaling, B = 16, multiplier ``lut``, a
writable table with ECC and a scaled table voltage (arXiv 2606.06527, abstract).
"""

from nvlut.energy.voltage import load_ber

#: the BER data of ``nvlut energy`` (see the module docstring)
BER_TABLE = load_ber()
#: nominal table supply of the voltage model (V; the data's nominal)
NOMINAL_V = BER_TABLE.nominal_v
#: the lowest voltage of the data (Salami et al.: the crash point)
CRASH_V = round(BER_TABLE.lowest_ratio * NOMINAL_V, 6)

TEXT = __doc__


def ber(voltage):
    """Bit error rate of the table storage at ``voltage`` volts (3 significant digits), from
    :data:`BER_TABLE`; ``ValueError`` naming ``voltage`` outside :data:`CRASH_V` .. :data:`NOMINAL_V`."""
    if not CRASH_V <= voltage <= NOMINAL_V:
        raise ValueError(f"voltage: {voltage!r} is not allowed; use {CRASH_V} .. {NOMINAL_V} V "
                         f"(the range of the voltage model's data, {BER_TABLE.name})")
    return float(f"{BER_TABLE.ber(voltage / NOMINAL_V):.3g}")


def is_seed_point(params, voltage):
    """True for the seed paper's operating point (see the module docstring)."""
    return (params.weights == "fp4" and params.weight_scaling == "block" and params.block == 16
            and params.multiplier == "lut" and params.lut_storage == "ram" and params.ecc != "none"
            and voltage < NOMINAL_V)
