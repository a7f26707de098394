"""The ``real`` workload: the dot products an ``nvlut ablate`` model's quantized layers compute.

:func:`record` runs the model in exact mode on a few test samples with a recorder in place of
:func:`nvlut.golden.dot` (exact mode's ``fault`` hook of :func:`nvlut.ablate.exact.exact_matmul`):
every call's activation and weight codes, block scales and tensor scales are kept (and the golden
result returned), i.e. exactly the dot products exact mode hands to ``nvlut.golden.dot``. A sample
of ``n`` of them (seeded, over all layers) becomes a :class:`nvlut.verif.vectors.Batch` whose rows
keep their own block counts (``nb``).
"""

import dataclasses

import numpy as np


class _Recorder:
    """Stands in for :class:`nvlut.ablate.faults.TableFault`: records, then computes with golden."""

    def __init__(self):
        self.calls = []

    def dot(self, a, w, sa, sw, t, weights):
        from nvlut import golden
        self.calls.append((a.copy(), w.copy(), sa.copy(), None if sw is None else sw.copy(), t.copy()))
        return golden.dot(a, w, sa, sw, t, weights=weights)


def record(accuracy_model, params, n, samples=4, seed=0):
    """A batch of ``n`` dot products of the model of ``accuracy_model`` (an
    :class:`nvlut.energy.accuracy.AccuracyModel`) on its first ``samples`` test samples."""
    from nvlut.ablate import train
    from nvlut.ablate.layers import set_config
    from nvlut.verif.vectors import concat, make_batch

    rec = _Recorder()
    model = accuracy_model.qmodel
    set_config(model, dataclasses.replace(accuracy_model.config, fault=rec))
    try:
        train.logits(model, accuracy_model.ev.ds.x_test[:samples])
    finally:
        set_config(model, accuracy_model.config.__class__(accuracy_model.config.act,
                                                          accuracy_model.config.weight))
    total = sum(len(c[0]) for c in rec.calls)
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(total, size=min(n, total), replace=False))
    batches, offset = [], 0
    for a, w, sa, sw, t in rec.calls:
        k = pick[(pick >= offset) & (pick < offset + len(a))] - offset
        if len(k):
            batches.append(make_batch(params, a[k], w[k], sa[k], None if sw is None else sw[k], t[k]))
        offset += len(a)
    return concat(batches)
