"""Where the long campaigns run their tasks: a local process pool or a Dask cluster.

Every long-running command (``nvlut verify``, ``synth``, ``ablate``, ``explore``, ``energy``) takes
the same two options, added by :func:`add_arguments`:

- ``--jobs N``: N local worker processes (``concurrent.futures.ProcessPoolExecutor``; threads for
  commands whose tasks only wait on a subprocess, such as Yosys runs);
- ``--scheduler tcp://HOST:PORT``: the tasks go to an existing Dask scheduler and its workers;
  ``--scheduler local:N`` starts a ``dask.distributed.LocalCluster`` of N single-threaded worker
  processes on loopback for the duration of the command.

With a scheduler, the tasks go through Dask's ``concurrent.futures`` executor
(``distributed.Client.get_executor``), so the calling code is the same for both: it submits
picklable functions of plain parameters (no file of the client's disk is read by a task) and
collects futures. Dask reschedules a task whose worker dies while running it
(``distributed.scheduler.allowed-failures``, 3 by default), and every future yields exactly one
result, so a killed worker loses no row and duplicates none. See docs/scale-out.md.
"""

import concurrent.futures
import contextlib
import os
import re
import time

_TCP = re.compile(r"^tcp://[A-Za-z0-9_.\-\[\]:]+:[0-9]{1,5}$")
_LOCAL = re.compile(r"^local:([0-9]+)$")
SCHEDULER_FORMS = (
    "tcp://HOST:PORT (a running dask scheduler) or local:N (a LocalCluster of N workers)")


def add_arguments(parser, jobs=True, jobs_default=None, jobs_help=None):
    """Add ``--scheduler`` and, unless the command already has one (``jobs=False``), ``--jobs``."""
    if jobs:
        default = jobs_default if jobs_default is not None else os.cpu_count() or 1
        parser.add_argument("--jobs", type=int, default=default,
                            help=jobs_help or f"local worker processes (default {default})")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help=f"run the tasks on a Dask cluster instead: {SCHEDULER_FORMS}; "
                             "see docs/scale-out.md")


def check(jobs, scheduler):
    """Raise ``ValueError`` naming the option unless ``jobs`` and ``scheduler`` are valid."""
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs: {jobs!r} is not allowed; use an integer >= 1")
    if scheduler is None:
        return
    m = _LOCAL.match(scheduler)
    if m and 1 <= int(m.group(1)) <= 256:
        return
    if not m and _TCP.match(scheduler):
        port = int(scheduler.rsplit(":", 1)[1])
        if 1 <= port <= 65535:
            return
    raise ValueError(f"scheduler: {scheduler!r} is not allowed; use {SCHEDULER_FORMS}, "
                     "N from 1 to 256")


def describe(jobs, scheduler):
    """One line saying where the tasks run."""
    if scheduler is None:
        return f"{jobs} local process{'es' if jobs != 1 else ''}"
    m = _LOCAL.match(scheduler)
    if m:
        return f"a local Dask cluster of {m.group(1)} worker processes"
    return f"the Dask cluster at {scheduler}"


@contextlib.contextmanager
def executor(jobs=1, scheduler=None, threads=False):
    """A ``concurrent.futures.Executor`` for ``jobs`` local processes (threads with ``threads``)
    or for the Dask ``scheduler`` (see the module docstring); shut down on exit."""
    check(jobs, scheduler)
    if scheduler is None:
        pool_type = (concurrent.futures.ThreadPoolExecutor if threads
                     else concurrent.futures.ProcessPoolExecutor)
        with pool_type(max_workers=jobs) as pool:
            yield pool
        return
    from distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        m = _LOCAL.match(scheduler)
        if m:
            cluster = stack.enter_context(LocalCluster(
                n_workers=int(m.group(1)), threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None))
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = stack.enter_context(Client(scheduler, timeout="30s"))
            except OSError as exc:
                raise ValueError(f"scheduler: cannot connect to {scheduler} ({exc}); start one "
                                 "with `dask scheduler` (docs/scale-out.md)") from None
        pool = client.get_executor(pure=False)
        try:
            yield pool
        finally:
            pool.shutdown(wait=True)


class Progress:
    """Prints ``[done/total] label: status (elapsed, ETA)`` lines for a run of ``total`` tasks;
    the ETA assumes the remaining tasks take as long on average as the finished ones."""

    def __init__(self, total, prefix="", stream=None, clock=time.monotonic):
        self.total, self.prefix, self.stream, self.clock = total, prefix, stream, clock
        self.done = 0
        self.start = clock()

    def eta(self):
        """Seconds left (None before the first task finished)."""
        if self.done == 0:
            return None
        return (self.clock() - self.start) / self.done * (self.total - self.done)

    def step(self, label, status=""):
        self.done += 1
        eta = self.eta()
        elapsed = self.clock() - self.start
        text = (f"{self.prefix}[{self.done}/{self.total}] {label}{': ' + status if status else ''} "
                f"({elapsed:.0f} s, ETA {_duration(eta)})")
        print(text, file=self.stream, flush=True)
        return text


def _duration(seconds):
    if seconds is None:
        return "unknown"
    seconds = round(seconds)
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"
