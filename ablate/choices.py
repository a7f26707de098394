"""Names the ``nvlut ablate`` command line accepts, importable without PyTorch."""

STUDIES = ("block", "weights", "scales", "retrain", "faults")
MODEL_NAMES = ("mlp", "lenet", "mobilenet", "resnet", "cnn1d", "attention")
BLOCKS = (4, 8, 16, 32, 64, 128)
SCALE_FORMATS = ("e4m3", "e8m0", "fp16", "none")
