"""The one writer of nvlut outputs (``write_if_changed``) never clobbers what is not ours: it
refuses non-regular targets, writes through symlinks, keeps an existing file's mode and refuses a
read-only file unless forced. Only a FIFO and symlinks in a temporary directory are used (never a
real device)."""

import os
import stat

import pytest

from nvlut.gen.cli import main
from nvlut.util.errors import CliError
from nvlut.util.files import write_if_changed


def test_fifo_is_refused_and_left_alone(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(CliError, match="is a FIFO"):
        write_if_changed(fifo, "x")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_directory_is_refused(tmp_path):
    with pytest.raises(CliError, match="is a directory"):
        write_if_changed(tmp_path, "x")
    assert tmp_path.is_dir()


def test_symlink_to_a_fifo_is_refused(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "link").symlink_to("fifo")
    with pytest.raises(CliError, match="is a FIFO"):
        write_if_changed(tmp_path / "link", "x")
    assert (tmp_path / "link").is_symlink()


def test_symlink_is_written_through(tmp_path):
    (tmp_path / "real").write_text("old")
    (tmp_path / "link").symlink_to("real")
    assert write_if_changed(tmp_path / "link", "new")
    assert (tmp_path / "link").is_symlink()
    assert (tmp_path / "real").read_text() == "new"
    assert not write_if_changed(tmp_path / "link", "new")    # unchanged content: not rewritten


def test_mode_of_an_existing_file_is_kept(tmp_path):
    path = tmp_path / "f"
    path.write_text("old")
    path.chmod(0o640)
    assert write_if_changed(path, "new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_text() == "new"


def test_read_only_file_needs_force_and_keeps_its_mode(tmp_path):
    path = tmp_path / "ro"
    path.write_text("old")
    path.chmod(0o444)
    with pytest.raises(CliError, match="read-only.*--force"):
        write_if_changed(path, "new")
    assert path.read_text() == "old"
    assert write_if_changed(path, "new", force=True)
    assert path.read_text() == "new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_no_temporary_file_is_left(tmp_path):
    write_if_changed(tmp_path / "a" / "b.txt", b"data")
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["b.txt"]


def test_generate_refuses_a_fifo_before_generating(tmp_path, capsys):
    os.mkfifo(tmp_path / "fifo.v")
    with pytest.raises(SystemExit) as exc:
        main(["generate", "-o", str(tmp_path / "fifo.v")])
    assert exc.value.code == 2
    assert "is a FIFO" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo.v"]
