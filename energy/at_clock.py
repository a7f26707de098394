"""Energy per MAC and power of a design at a clock of its own (``nvlut synth``: at its Fmax).

A nominal measurement (:func:`nvlut.energy.nominal_measurement`) gives, per dot product and
component class, the dynamic energy (kinds ``switching``, ``internal``, ``clock``: per transition or
per clock edge, independent of the clock period in this zero-delay model) and the leakage energy
over the simulation window at the assumptions file's stated clock (``clock_period_ns``, 10 ns: not
a timing result). :func:`split` separates the two: dynamic energy per element MAC and leakage power
``P_leak = E_leak(window) / (cycles x stated period)``. :func:`at_clock` re-evaluates leakage at a
clock ``f`` instead of the stated one, at the throughput the design reached on the workload,
``T`` element MACs per cycle (:func:`macs_per_cycle`: ``B`` for a design that takes one block per
cycle; fewer where it stalls, e.g. the iterative final stage on dot products shorter than its
latency):

    E_MAC(f) = E_dyn + P_leak / (T x f)
    P(f)     = E_MAC(f) x T x f  =  E_dyn x T x f + P_leak

Everything at the library's nominal voltage (1.8 V), nothing voltage-scaled.
"""

from .power import KINDS

DYNAMIC = tuple(k for k in KINDS if k != "leakage")


def split(measurement, stated_period_ns):
    """``(dynamic pJ per element MAC, leakage power in W)`` of a nominal ``measurement`` whose
    leakage energy was charged at ``stated_period_ns`` per cycle. Summed in sorted class order, so
    a fresh measurement and its cached copy (JSON with sorted keys) give the same bits."""
    e = [measurement["energy_pj"][c] for c in sorted(measurement["energy_pj"])]
    per_mac = measurement["elements_per_dot"]
    dynamic = sum(kinds[k] for kinds in e for k in DYNAMIC) / per_mac
    leak_pj = sum(kinds["leakage"] for kinds in e) * measurement["n"]
    leakage_w = leak_pj * 1e-12 / (measurement["cycles"] * stated_period_ns * 1e-9)
    return dynamic, leakage_w


def macs_per_cycle(measurement):
    """Element MACs per clock cycle over the measurement's simulation window (its dot products'
    elements over its cycles)."""
    return measurement["elements_per_dot"] * measurement["n"] / measurement["cycles"]


def at_clock(dynamic_pj_per_mac, leakage_w, macs_per_cycle, clock_mhz):
    """``{"pj_per_mac", "leakage_pj_per_mac", "power_mw"}`` at ``clock_mhz`` with
    ``macs_per_cycle`` element MACs per cycle (``leakage_pj_per_mac``: the leakage term of
    ``pj_per_mac``)."""
    if not clock_mhz > 0 or not macs_per_cycle > 0:
        raise ValueError(f"clock_mhz: {clock_mhz} / macs_per_cycle: {macs_per_cycle}; both "
                         "must be > 0")
    macs_per_s = macs_per_cycle * clock_mhz * 1e6
    leakage_pj = leakage_w / macs_per_s * 1e12
    pj_per_mac = dynamic_pj_per_mac + leakage_pj
    return {"pj_per_mac": pj_per_mac, "leakage_pj_per_mac": leakage_pj,
            "power_mw": pj_per_mac * 1e-12 * macs_per_s * 1e3}
