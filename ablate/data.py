"""The two data sets of the ablations, both made on this machine (nothing is fetched).

- ``digits``: scikit-learn's bundled ``load_digits`` (1797 8x8 images, 17 grey levels, 10 classes),
  scaled to [0, 1]; a stratified 75/25 train/test split with a fixed seed (1347 / 450 samples).
- ``mnist1d``: ``mnist1d.data.make_dataset(get_dataset_args())``, which *generates* the data from
  ten templates with its fixed seed 42 (``get_dataset`` would try a download; it is never called):
  5000 signals of length 40, split 4000 / 1000 by the generator.
"""

import dataclasses
import functools

import numpy as np

DATASETS = ("digits", "mnist1d")
DIGITS_SPLIT_SEED = 0


@dataclasses.dataclass(frozen=True)
class Dataset:
    """Train and test tensors (float32 inputs ``[N, 1, ...]``, int64 labels)."""

    name: str
    x_train: object
    y_train: object
    x_test: object
    y_test: object


def _digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    return train_test_split(x, d.target, test_size=0.25, random_state=DIGITS_SPLIT_SEED,
                            stratify=d.target)


def _mnist1d():
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    state = np.random.get_state()     # make_dataset reseeds NumPy's global generator
    try:
        d = make_dataset(args)
    finally:
        np.random.set_state(state)
    x = d["x"].astype(np.float32)[:, None, :]
    xt = d["x_test"].astype(np.float32)[:, None, :]
    return x, xt, d["y"], d["y_test"]


@functools.cache
def load(name):
    """The data set ``name`` (one of :data:`DATASETS`) as :class:`Dataset` of torch tensors."""
    import torch

    if name not in DATASETS:
        raise ValueError(f"dataset: {name!r} is not allowed; choose one of {', '.join(DATASETS)}")
    x, xt, y, yt = _digits() if name == "digits" else _mnist1d()
    return Dataset(name, torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y).long(),
                   torch.from_numpy(np.ascontiguousarray(xt)), torch.from_numpy(yt).long())
