"""Bit-exact NumPy golden model of nvlut (the contract is ``docs/numerics.md``)."""

from .dot import CANONICAL_NAN, FLAGS, dot, dot_flags, element_product, q_min
from .formats import (CODE_DTYPE, GRID_EXP, MAX_INT, decode, decode_binary32,
                      encode_binary32, encode_e2m1, encode_e4m3, encode_fp16, int_view,
                      scale_view)
from .quantize import NVFP4, RECIPES, bits_per_element, dequantize_nvfp4, quantize_nvfp4

__all__ = [
    "CANONICAL_NAN", "CODE_DTYPE", "FLAGS", "GRID_EXP", "MAX_INT", "NVFP4", "RECIPES",
    "bits_per_element", "decode", "decode_binary32", "dot", "dot_flags",
    "element_product", "encode_binary32", "encode_e2m1", "encode_e4m3", "encode_fp16",
    "dequantize_nvfp4", "int_view", "q_min", "quantize_nvfp4", "scale_view",
]
