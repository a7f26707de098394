"""Training from scratch, quantization-aware retraining (QAT) and evaluation, with a checkpoint cache.

Float training: AdamW with a cosine learning-rate schedule, cross-entropy, mini-batches shuffled by a
generator seeded with the run's seed (model initialisation uses the same seed), so a rerun with the
same settings and thread count reproduces the same weights. QAT starts from the BatchNorm-folded float
model, fake-quantizes every layer (straight-through gradients) and trains a few more epochs at a lower
learning rate.

Checkpoints are cached under ``<ckpt_dir>/<model>-s<seed>-<kind>-<key>.pt`` where ``key`` hashes
every setting that determines them; they are written atomically, so an interrupted run resumes from
the checkpoints it completed.
"""

import dataclasses
import hashlib
import json
import os
import tempfile

import torch
from torch.nn import functional as F

from . import data, models
from .layers import quantize_model

#: bump when a change in the code makes cached checkpoints stale
CKPT_VERSION = 1


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    epochs: int = 60
    lr: float = 3e-3
    batch: int = 64
    weight_decay: float = 1e-4
    qat_epochs: int = 8
    qat_lr: float = 5e-4


FULL = TrainSettings()
QUICK = TrainSettings(epochs=3, qat_epochs=1)


def _key(**fields):
    text = json.dumps({"version": CKPT_VERSION, **fields}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _save(state, path):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _fit(model, ds, epochs, lr, settings, seed, log):
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=settings.weight_decay)
    steps = epochs * -(-len(ds.y_train) // settings.batch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, steps))
    model.train()
    for epoch in range(epochs):
        perm = torch.randperm(len(ds.y_train), generator=gen)
        total = 0.0
        for i in range(0, len(perm), settings.batch):
            idx = perm[i:i + settings.batch]
            loss = F.cross_entropy(model(ds.x_train[idx]), ds.y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        if log and (epoch + 1 == epochs or (epoch + 1) % 20 == 0):
            log(f"    epoch {epoch + 1}/{epochs}: loss {total / len(perm):.4f}")
    model.eval()
    return model


def float_model(name, seed, settings, ckpt_dir, log=None):
    """The trained float32 model ``name`` for ``seed``, BatchNorm folded (cached)."""
    ds = data.load(models.dataset_of(name))
    key = _key(model=name, seed=seed, epochs=settings.epochs, lr=settings.lr,
               batch=settings.batch, wd=settings.weight_decay)
    path = os.path.join(ckpt_dir, f"{name}-s{seed}-float-{key}.pt")
    torch.manual_seed(seed)
    model = models.build(name)
    if os.path.exists(path):
        model.load_state_dict(torch.load(path))
    else:
        if log:
            log(f"  training {name} (seed {seed}, {settings.epochs} epochs)")
        _fit(model, ds, settings.epochs, settings.lr, settings, seed, log)
        _save(model.state_dict(), path)
    model.eval()
    return models.fold_batchnorm(model)


def qat_model(name, seed, settings, config, ckpt_dir, log=None):
    """``name`` retrained with fake quantization ``config`` starting from its float model (cached)."""
    base = float_model(name, seed, settings, ckpt_dir, log)
    model = quantize_model(base, config)
    key = _key(model=name, seed=seed, settings=dataclasses.asdict(settings),
               config=repr(config))
    path = os.path.join(ckpt_dir, f"{name}-s{seed}-qat-{key}.pt")
    if os.path.exists(path):
        model.load_state_dict(torch.load(path))
    else:
        if log:
            log(f"  retraining {name} (seed {seed}, {settings.qat_epochs} QAT epochs)")
        ds = data.load(models.dataset_of(name))
        _fit(model, ds, settings.qat_epochs, settings.qat_lr, settings, seed + 1000, log)
        _save(model.state_dict(), path)
    model.eval()
    return model


@torch.no_grad()
def logits(model, x, batch=256):
    """Model outputs for inputs ``x`` (evaluation mode, in batches: results do not depend on the
    batching because every sample has its own activation tensor scale)."""
    model.eval()
    return torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)])
