"""Energy per MAC from gate-level switching activity on OSU 0.18 um cells (``nvlut energy``).

:func:`energy_per_mac` is the entry point other flows call (``nvlut explore``'s energy step);
:func:`nominal_measurement` is the measurement under it, which ``nvlut synth`` turns into energy
per MAC and power at each design's Fmax (:mod:`nvlut.energy.at_clock`); :func:`missing_tools`
says what they need that is not installed.
"""

#: what a gate-level energy measurement needs: the OSU018 cells (Liberty + Verilog models) and
#: Icarus
TOOLS = ("osu018", "icarus")


def missing_tools():
    """The names of :data:`TOOLS` that are not installed (``[]`` when all are)."""
    from nvlut.util import toolchain

    return [t for t in TOOLS if not toolchain.available(t)]


def nominal_measurement(params, workdir, cache_dir=None):
    """The gate-level measurement (:func:`nvlut.energy.measure.measure`) of ``params`` on the
    ``random`` workload (fp4 weights; ``vectors`` dot products of ``blocks`` blocks, from the
    assumptions file) with everything at the library's nominal voltage. The simulation runs under
    ``workdir`` and its result is cached in ``cache_dir`` (default ``workdir/cache``; ``nvlut
    energy`` keeps its own in ``build/energy/cache``: the key is the netlist, the workload and
    every model input, so sharing one is safe). Raises ``ValueError`` for weights other than fp4
    (the synthetic workloads are written for fp4)."""
    import pathlib

    from . import measure, voltage, workloads

    a = voltage.assumptions()
    batch = workloads.synthetic(params, "random", a["workloads"]["vectors"],
                                a["workloads"]["blocks"])
    workdir = pathlib.Path(workdir)
    cache_dir = workdir / "cache" if cache_dir is None else pathlib.Path(cache_dir)
    return measure.measure(params, batch, "random", workdir, cache_dir, log=lambda _: None)


def energy_per_mac(params, table_voltage, verilog, workdir, cache_dir=None):
    """Energy per element MAC (pJ) of ``params`` on the ``random`` workload (fp4 weights), with the
    table storage at ``table_voltage`` volts of the BER data's voltage axis (the packaged Salami et
    al. data: nominal 1.0 V), mapped onto the library by V/Vnom: mode ``low`` for a writable table
    without ECC, ``ecc`` with ECC, ``nominal`` without a writable table (then ``table_voltage`` must
    be nominal). ``verilog`` must be the design's generated Verilog (checked against the
    generator's); the measurement is :func:`nominal_measurement` (``workdir``, ``cache_dir``)."""
    from nvlut.verif.design import design_for

    from . import modes, voltage

    if verilog is not None and verilog != design_for(params).verilog:
        raise ValueError(f"verilog: not the generated Verilog of {params.name}")
    table = voltage.load_ber()
    ratio = table_voltage / table.nominal_v
    if params.lut_storage != "ram" and abs(ratio - 1) > 1e-9:
        raise ValueError(f"table_voltage: {params.name} has no writable table to scale; use the "
                         f"nominal {table.nominal_v} V")
    mode = "nominal" if abs(ratio - 1) <= 1e-9 else ("low" if params.ecc == "none" else "ecc")
    m = nominal_measurement(params, workdir, cache_dir)
    e = modes.mode_energy(m, params, mode, ratio, voltage.VoltageModel.from_assumptions())
    return sum(e.values()) / m["elements_per_dot"]
