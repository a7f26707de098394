"""The ``nvlut`` command line.

Each subcommand lives in its own module, which provides ``add_arguments(parser)`` and
``run(args) -> int`` and a module docstring whose first line is the subcommand's summary. Every
module is imported to build the parser, so it must keep heavy imports (Amaranth, cocotb, PyTorch)
inside ``run`` for ``nvlut --help`` to stay fast.
"""

import argparse
import importlib
import importlib.metadata
import sys

from nvlut.util.errors import CliError

#: subcommand name -> module implementing it
SUBCOMMANDS = {
    "demo": "nvlut.gen.demo",
    "generate": "nvlut.verif.package",
    "verilog": "nvlut.gen.design_set",
    "sim": "nvlut.verif.sim",
    "verify": "nvlut.verif.campaign",
    "faults": "nvlut.verif.faults",
    "synth": "nvlut.synth.flow",
    "ablate": "nvlut.ablate.cli",
    "explore": "nvlut.explore.cli",
    "energy": "nvlut.energy.cli",
}


def build_parser():
    parser = argparse.ArgumentParser(
        prog="nvlut",
        description="RTL generator and verification flow for NVFP4 LUT-based MAC hardware.")
    parser.add_argument("--version", action="version",
                        version=f"nvlut {importlib.metadata.version('nvlut')}")
    sub = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    for name, module_name in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        summary = (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""
        p = sub.add_parser(name, help=summary, description=module.__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(p)
        p.set_defaults(_run=module.run, _parser=p)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args._run(args) or 0
    except CliError as exc:
        args._parser.error(str(exc))
    except ValueError as exc:
        # Parameter validation in the library raises ValueError naming the parameter.
        args._parser.error(str(exc))
    except OSError as exc:
        # A file the user named cannot be read or written (the commands check their paths
        # before long work; this catches what is left, e.g. a file removed meanwhile).
        if exc.filename is None:
            raise
        args._parser.error(f"{exc.filename}: {exc.strerror or exc}")


if __name__ == "__main__":
    sys.exit(main())
