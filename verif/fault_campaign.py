"""The fault campaign's computation: random stored-bit faults run through the golden fault model,
and the replay of one faulty trial per ECC mode on the RTL (see ``nvlut faults``,
:mod:`nvlut.verif.faults`, for what is measured)."""

#: per (ECC mode, bit error rate) row, the metrics of :func:`trial_metrics`
METRICS = ("wrong", "silent_wrong", "flagged_corrected", "flagged_uncorrectable",
           "mean_rel_error", "max_rel_error")


def operands(params, n, nb, rng):
    """``(a, w, sa, sw, t)`` of ``n`` dot products of ``nb`` blocks: NVFP4-quantized standard
    normal activations; standard normal weights quantized to the weight format (NVFP4 for
    block-scaled fp4, a tensor scale for fp4/fp8 otherwise, fp16 as is; ``sw`` = 1.0 for
    block-scaled fp8/fp16)."""
    import numpy as np

    from nvlut import golden

    shape = (n, nb * params.block)
    qa = golden.quantize_nvfp4(rng.standard_normal(shape).astype(np.float32), params.block)
    x = rng.standard_normal(shape).astype(np.float32)
    sw = None
    if params.weights == "fp4" and params.block_scaled:
        qw = golden.quantize_nvfp4(x, params.block)
        w, sw, g_w = qw.codes, qw.scales, np.float32(qw.tensor_scale)
    else:
        top = {"fp4": 6.0, "fp8": 448.0, "fp16": 1.0}[params.weights]
        g_w = np.float32(1.0) if params.weights == "fp16" else np.float32(np.abs(x).max() / top)
        scaled = x / g_w
        w = {"fp4": golden.encode_e2m1, "fp8": lambda v: golden.encode_e4m3(v, saturate=True),
             "fp16": golden.encode_fp16}[params.weights](scaled).reshape(n, nb, params.block)
        if params.block_scaled:
            sw = np.full((n, nb), 0x38, dtype=np.uint8)
    t = golden.encode_binary32(np.full(n, np.float32(qa.tensor_scale) * g_w, dtype=np.float32))
    return qa.codes, w, qa.scales, sw, t


def trial_metrics(y_ref, y, flags):
    """Metric name -> value of one trial (see the module docstring); relative errors over the
    dot products whose fault-free result is finite and nonzero."""
    import numpy as np

    from nvlut import golden

    wrong = y != y_ref
    ref = golden.decode_binary32(y_ref).astype(np.float64)
    got = golden.decode_binary32(y).astype(np.float64)
    usable = np.isfinite(ref) & (ref != 0)
    with np.errstate(invalid="ignore"):
        rel = np.abs(got[usable] - ref[usable]) / np.abs(ref[usable])
    rel = np.where(np.isnan(rel), np.inf, rel)
    return {
        "wrong": wrong.mean(),
        "silent_wrong": (wrong & ~flags["ecc_uncorrectable"]).mean(),
        "flagged_corrected": flags["ecc_corrected"].mean(),
        "flagged_uncorrectable": flags["ecc_uncorrectable"].mean(),
        "mean_rel_error": rel.mean() if rel.size else 0.0,
        "max_rel_error": rel.max() if rel.size else 0.0,
    }


def campaign(params, bers, eccs, n, nb, trials, seed, sample_size=0, replay_eccs=()):
    """Run the campaign (golden model only): ``(rows, replays)``.

    ``rows``: one dict per (ecc, ber) with the storage figures and the metrics averaged over the
    trials (``max_rel_error``: the maximum). ``replays``: for :func:`replay_on_rtl`, per mode of
    ``replay_eccs``, the operands and the trial whose faults affect (change or flag) the most
    balanced share (closest to half) of the first ``sample_size`` results; a mode none of whose
    trials affects one of them is missing.
    """
    import numpy as np

    from nvlut import golden
    from nvlut.golden import faults
    from nvlut.spec.storage import storage_layout

    rng = np.random.default_rng(seed)
    ops = operands(params, n, nb, rng)
    y_ref = golden.dot(*ops, params.weights)
    table = faults.lut_table(params.multiplier, params.weights)
    rows, replays, best = [], {}, {}
    for ecc in eccs:
        design = params.replace(ecc=ecc)
        layout = storage_layout(table.width, ecc)
        for ber in bers:
            per_trial = []
            for _ in range(trials):
                fault_map = faults.random_fault_map(rng, table.depth, layout.stored_bits, ber)
                delivered = faults.faulty_table(design, fault_map)
                y, flags = faults.dot_with_table(design, delivered, *ops)
                per_trial.append(trial_metrics(y_ref, y, flags))
                affected = int(((y != y_ref) | flags["ecc_corrected"]
                                | flags["ecc_uncorrectable"])[:sample_size].sum())
                balance = min(affected, sample_size - affected)
                if ecc in replay_eccs and affected and (ecc not in replays
                                                        or balance > best[ecc]):
                    best[ecc] = balance
                    replays[ecc] = {"ecc": ecc, "ber": ber, "fault_map": fault_map,
                                    "entries": delivered[0], "y": y, "flags": flags,
                                    "operands": ops, "y_ref": y_ref}
            row = {"ecc": ecc, "ber": ber, "table_words": table.depth,
                   "entry_bits": table.width, "check_bits": layout.check_bits,
                   "stored_bits": table.depth * layout.stored_bits,
                   "overhead": layout.overhead}
            for name in METRICS:
                values = [m[name] for m in per_trial]
                row[name] = float(max(values) if name == "max_rel_error" else np.mean(values))
            rows.append(row)
    return rows, replays


def replay_on_rtl(params, replay, count, sim):
    """Simulate the first ``count`` dot products of ``replay`` (from :func:`campaign`) on
    ``NvlutMac(params)`` with the replay's ``ecc`` and a fault port, through which the trial's
    fault map is applied (see the module docstring for ``sim``): a summary dict (``agree`` True
    when every output and flag matches the golden fault model)."""
    import numpy as np

    design_params = params.replace(ecc=replay["ecc"], fault_port=True)
    ops = tuple(None if x is None else x[:count] for x in replay["operands"])
    if sim == "amaranth":
        from .amaranth_stream import stream

        [result] = stream(design_params, ops, [replay["fault_map"]])
        y, flags = result.y, result.flags
    else:
        from .sim import simulate

        y, flags = simulate(design_params, *ops, sim=sim, faults=replay["fault_map"])
    mismatches = int((y != replay["y"][:count]).sum())
    for name, values in flags.items():
        mismatches += int((values != replay["flags"][name][:count]).sum())
    flagged = replay["flags"]["ecc_corrected"] | replay["flags"]["ecc_uncorrectable"]
    return {"ecc": replay["ecc"], "design": design_params.name, "sim": sim, "ber": replay["ber"],
            "dot_products": count,
            "flipped_bits": int(np.bitwise_count(replay["fault_map"]).sum()),
            "changed": int((replay["y"][:count] != replay["y_ref"][:count]).sum()),
            "flagged": int(flagged[:count].sum()),
            "mismatches": mismatches, "agree": mismatches == 0}
