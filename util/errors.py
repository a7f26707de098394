"""The user-error type of nvlut."""


class CliError(Exception):
    """A user error: the command line prints it as ``nvlut <cmd>: error: <message>`` and exits
    with status 2. Library code raises it (or ``ValueError`` naming the parameter) before long
    work starts."""
