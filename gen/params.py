"""The command-line binding of the parameter schema :class:`nvlut.spec.params.MacParams`.

One ``--<field>`` flag per field (underscores become dashes), generated from the fields and their
metadata; :func:`params_from_args` reads them back. A sweep over a field gets its own plural flag
(:func:`add_sweep_argument`, e.g. ``--ecc-modes``) instead of reusing the singular one.
"""

import argparse
import dataclasses

from nvlut.spec.params import MacParams
from nvlut.util import cli_lists


def _flag(name):
    return "--" + name.replace("_", "-")


def _int_arg(name):
    def parse(text):
        try:
            return int(text, 0)
        except ValueError:
            raise ValueError(f"{name}: {text!r} is not an integer") from None
    parse.__name__ = name
    return parse


def add_design_arguments(parser, skip=(), defaults=None):
    """Add one ``--<param>`` flag per :class:`MacParams` field (underscores become dashes), except
    the fields in ``skip`` (those a sweep flag replaces). ``defaults`` (field name -> value)
    overrides the defaults of ``MacParams()`` for a command whose default design differs; the
    help texts show the defaults in force."""
    g = parser.add_argument_group("design parameters")
    for field in dataclasses.fields(MacParams):
        if field.name in skip:
            continue
        default = (defaults or {}).get(field.name, field.default)
        help_text = field.metadata["help"].format(default=default)
        if field.type is bool:
            g.add_argument(_flag(field.name), action="store_true", default=default,
                           help=help_text)
        elif field.type is int:
            g.add_argument(_flag(field.name), default=default, type=_int_arg(field.name),
                           help=help_text)
        else:
            g.add_argument(_flag(field.name), default=default, help=help_text)


def add_seed_argument(parser, help="random seed"):
    """``--seed``: an integer >= 0, the same rule for every command (exit status 2 otherwise)."""
    def seed(text):
        try:
            value = int(text, 0)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < 0:
            raise argparse.ArgumentTypeError(f"{value} is not allowed; use an integer >= 0")
        return value
    parser.add_argument("--seed", type=seed, default=0, help=f"{help} (integer >= 0, default 0)")


def add_sweep_argument(parser, flag, default, help):
    """Add ``flag`` (e.g. ``--ecc-modes``, read back as ``args.ecc_modes``): a comma-separated
    list of values of one :class:`MacParams` field, each validated by :class:`MacParams` when the
    caller builds the parameters; ``default`` is the one default list of that sweep."""
    parser.add_argument(flag, type=cli_lists.words, default=list(default),
                        help=f"{help}, comma-separated (default {','.join(default)})")


def params_from_args(args, **overrides):
    """Build :class:`MacParams` from the flags added by :func:`add_design_arguments`; fields in
    ``overrides`` (e.g. one value of a sweep) take precedence over the flags."""
    values = {field.name: getattr(args, field.name) for field in dataclasses.fields(MacParams)
              if field.name not in overrides}
    return MacParams(**values, **overrides)
