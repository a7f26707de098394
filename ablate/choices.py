"""Names the ``nvlut ablate`` command line accepts, importable without PyTorch."""

STUDIES = ("block", "weights", "scales", "retrain", "faults")
MODEL_NAMES = ("mlp", "lenet", "mobilenet", "resnet", "cnn1d", "attention")
BLOCKS = (4, 8, 16, 32, 64, 128)
SCALE_FORMATS = ("e4m3", "e8m0", "fp16", "none")


def check_choices(name, values, allowed):
    """Raise ``ValueError`` naming ``name`` and the ``allowed`` values for any value not allowed."""
    for v in values:
        if v not in allowed:
            raise ValueError(f"{name}: {v!r} is not allowed; choose from "
                             f"{', '.join(map(str, allowed))}")
