"""Atomic file output that never clobbers what is not ours (one writer for every nvlut output)."""

import os
import pathlib
import stat

from nvlut.util.errors import CliError


def _kind(mode):
    """What a non-regular file is, in words."""
    for test, word in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return word
    return "not a regular file"


def _read_only(mode):
    """True when nobody may write a file of this mode (judged by its permission bits, so that
    running as root, which bypasses them, still honours them)."""
    return not stat.S_IMODE(mode) & 0o222


def check_output(path, option="output", force=False):
    """Check, before any work, that ``path`` can be written by :func:`write_if_changed`; returns
    the path that will be replaced (a symlink's final target). Raises :class:`CliError` naming
    ``option`` when ``path`` is a directory, FIFO, device or socket, lies below a file, is
    read-only (unless ``force``), or its directory cannot be created or written."""
    path = pathlib.Path(path)
    target = pathlib.Path(os.path.realpath(path))
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise CliError(f"{option}: cannot write {path}: a parent of it is a file, not a "
                       f"directory") from None
    except OSError as exc:
        raise CliError(f"{option}: cannot write {path}: {exc.strerror}") from None
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            raise CliError(f"{option}: {path} is {_kind(st.st_mode)}; nvlut writes only regular "
                           f"files; name a file path")
        if _read_only(st.st_mode) and not force:
            raise CliError(f"{option}: {path} is read-only; make it writable or use --force to "
                           f"replace it (its mode is kept)")
    check_output_dir(target.parent, option, force, what=f"the directory of {path}")
    return target


def check_output_dir(directory, option="output", force=False, what=None):
    """Check that ``directory`` is a writable directory, or can be created below its nearest
    existing ancestor; raise :class:`CliError` naming ``option`` otherwise. A directory whose
    permission bits forbid writing is refused even when running as root, unless ``force``."""
    directory = pathlib.Path(os.path.abspath(directory))
    what = what or str(directory)
    existing = next(p for p in (directory, *directory.parents) if os.path.lexists(p))
    if not existing.is_dir():
        if existing == directory:
            raise CliError(f"{option}: {what} ({directory}) is a file, not a directory")
        raise CliError(f"{option}: cannot create {what} ({directory}): {existing} is a file, "
                       f"not a directory")
    mode = os.stat(existing).st_mode
    if not os.access(existing, os.W_OK | os.X_OK) or (_read_only(mode) and not force):
        if existing == directory:
            raise CliError(f"{option}: {what} ({directory}) is not writable")
        raise CliError(f"{option}: cannot create {what} ({directory}): {existing} is not "
                       f"writable")


def write_if_changed(path, data, force=False):
    """Write ``data`` (str or bytes) to ``path`` atomically unless it already holds exactly that.

    The one writer of every nvlut output. It never clobbers what is not a file of ours: it refuses
    a directory, FIFO, device or socket (:class:`CliError`, see :func:`check_output`), writes
    through a symlink to its target (the link stays), keeps the mode of an existing file and
    refuses a read-only one unless ``force``. The data goes to a temporary file in the target's
    directory, renamed over the target. Returns True when the file was (re)written.
    """
    target = check_output(path, force=force)
    data = data.encode() if isinstance(data, str) else data
    if target.is_file() and target.read_bytes() == data:
        return False
    mode = stat.S_IMODE(os.stat(target).st_mode) if target.exists() else None
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CliError(f"output: cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True
