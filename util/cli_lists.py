"""Comma-separated list flags of the ``nvlut`` command line, parsed one way.

``--models mlp,lenet``, ``--blocks 8,16``, ``--v-low 0.55,0.6``: :func:`words` splits at commas (and
blanks); :func:`numbers` returns an argparse ``type`` that also converts each item and, when it fails,
raises ``ValueError`` naming the parameter, which argparse reports as a usage error (exit status 2).
"""


def words(text):
    """``'a, b,,c'`` -> ``['a', 'b', 'c']``."""
    return text.replace(",", " ").split()


def numbers(name, kind=float):
    """An argparse ``type`` for a list of ``kind`` (``float``, or ``int`` in any Python base
    notation such as ``0x10``) named ``name`` in its error message."""
    convert = (lambda t: int(t, 0)) if kind is int else kind
    what = "integers" if kind is int else "numbers"

    def parse(text):
        try:
            return [convert(t) for t in words(text)]
        except ValueError:
            raise ValueError(f"{name}: {text!r} is not a comma-separated list of {what}") from None
    parse.__name__ = name
    return parse


def check_choices(name, values, allowed):
    """Raise ``ValueError`` naming ``name`` and the ``allowed`` values for any value not allowed."""
    for v in values:
        if v not in allowed:
            raise ValueError(f"{name}: {v!r} is not allowed; choose from "
                             f"{', '.join(map(str, allowed))}")
