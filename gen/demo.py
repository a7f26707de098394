"""Quantize a random activation and weight vector to NVFP4 and run one golden dot product.

Shows the whole software contract on one example: the float32 dot product, the same vectors after
NVFP4 quantization (codes, E4M3 block scales, FP32 tensor scales) and the bit-exact result that the
generated MAC returns for them.
"""


def add_arguments(parser):
    from nvlut.golden.quantize import RECIPES
    from nvlut.spec.params import BLOCK_RANGE, DEFAULT_BLOCK

    parser.add_argument("--length", type=int, default=64, help="vector length (multiple of --block)")
    parser.add_argument("--block", type=int, default=DEFAULT_BLOCK,
                        help=f"block size B, {BLOCK_RANGE[0]}..{BLOCK_RANGE[1]}")
    from .params import add_seed_argument
    add_seed_argument(parser, "seed of the random vectors")
    parser.add_argument("--recipe", default="torchao",
                        help=f"NVFP4 quantizer recipe, docs/numerics.md section 3: "
                             f"{'|'.join(RECIPES)} (default torchao)")


def run(args):
    from nvlut.spec.params import BLOCK_RANGE
    from nvlut.util.errors import CliError
    lo, hi = BLOCK_RANGE
    if not lo <= args.block <= hi:
        raise CliError(f"--block: {args.block} is not allowed; use an integer from {lo} to {hi}")
    if args.length < 1 or args.length % args.block:
        raise CliError(f"--length: {args.length} is not allowed; use a positive multiple of "
                       f"--block ({args.block})")

    import numpy as np

    from nvlut import golden

    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal(args.length).astype(np.float32)
    wf = (rng.standard_normal(args.length) * 0.1).astype(np.float32)
    qa = golden.quantize_nvfp4(x[None], block=args.block, recipe=args.recipe)
    qw = golden.quantize_nvfp4(wf[None], block=args.block, recipe=args.recipe)
    t = np.float32(qa.tensor_scale * qw.tensor_scale)
    y, flags = golden.dot_flags(qa.codes, qw.codes, qa.scales, qw.scales,
                                t.view(np.uint32)[None], weights="fp4")
    ref = golden.dequantize_nvfp4(qa).astype(np.float64) @ golden.dequantize_nvfp4(qw)[0]
    nb = qa.scales.shape[-1]
    print(f"NVFP4 dot product of length {args.length} ({nb} blocks of B={args.block}, "
          f"{golden.bits_per_element(args.block, args.length):.4f} bits/element, "
          f"quantizer recipe {args.recipe})")
    print(f"  float32 inputs, float64 dot:       {float(x.astype(np.float64) @ wf):+.7g}")
    print(f"  NVFP4 inputs, float64 dot:         {float(ref[0]):+.7g}")
    flag_names = [k for k, v in flags.items() if v[0]] or ["exact"]
    print(f"  golden MAC result (binary32 bits): {y[0]:#010x} = "
          f"{float(golden.decode_binary32(y)[0]):+.7g}  [{', '.join(flag_names)}]")
    print(f"  activation block scales: {' '.join(f'{s:#04x}' for s in qa.scales[0])}, "
          f"tensor scale {float(qa.tensor_scale):.6g}")
    return 0
