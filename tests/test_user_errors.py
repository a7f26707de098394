"""Every user mistake of issue 16 ends in a clear message naming the parameter, exit status 2, no
traceback and no file written; each case is checked before any long work (design conversion or
simulation) starts, so the whole list runs in seconds."""

import os

import numpy as np
import pytest

from nvlut.gen.cli import main

# (id, class of mistake, argv built from the temporary directory, text the message must hold)
CASES = [
    ("sim-vectors-missing", "input path", lambda d: ["sim", "--vectors", f"{d}/nope.npz",
                                                     "--out", f"{d}/o.npz"], "--vectors"),
    ("sim-vectors-empty", "input path", lambda d: ["sim", "--vectors", f"{d}/empty.npz",
                                                   "--out", f"{d}/o.npz"], "--vectors"),
    ("sim-vectors-npy", "input format", lambda d: ["sim", "--vectors", f"{d}/a.npy",
                                                   "--out", f"{d}/o.npz"], ".npy"),
    ("sim-vectors-text", "input format", lambda d: ["sim", "--vectors", f"{d}/file",
                                                    "--out", f"{d}/o.npz"], "--vectors"),
    ("sim-vectors-directory", "input path", lambda d: ["sim", "--vectors", f"{d}/dir",
                                                       "--out", f"{d}/o.npz"], "--vectors"),
    ("sim-out-directory", "output path", lambda d: ["sim", "--vectors", f"{d}/good.npz",
                                                    "--out", f"{d}/dir"], "--out"),
    ("sim-code-out-of-range", "input value", lambda d: ["sim", "--vectors", f"{d}/bad_code.npz",
                                                        "--out", f"{d}/o.npz"],
     "code 16 at row 1, block 0, lane 3"),
    ("sim-faults-on-rom", "parameter combination",
     lambda d: ["sim", "--vectors", f"{d}/good.npz", "--out", f"{d}/o.npz", "--faults",
                f"{d}/file"], "--lut-storage ram --fault-port"),
    ("generate-readonly-dir", "output path", lambda d: ["generate", "-o", f"{d}/rodir/m.v"],
     "-o/--output"),
    ("generate-onto-directory", "output path", lambda d: ["generate", "-o", f"{d}/dir"],
     "-o/--output"),
    ("generate-below-file", "output path", lambda d: ["generate", "-o", f"{d}/file/m.v"],
     "-o/--output"),
    ("generate-onto-fifo", "output path", lambda d: ["generate", "-o", f"{d}/fifo"],
     "-o/--output"),
    ("generate-top", "parameter value", lambda d: ["generate", "-o", f"{d}/m.v", "--top", "a b"],
     "--top"),
    ("verilog-out-file", "output path", lambda d: ["verilog", "--out", f"{d}/file"], "--out"),
    ("demo-length-0", "parameter value", lambda d: ["demo", "--length", "0"], "--length"),
    ("demo-length-not-multiple", "parameter value", lambda d: ["demo", "--length", "30"],
     "--length"),
    ("faults-out-file", "output path", lambda d: ["faults", "--out", f"{d}/file"], "--out"),
    ("synth-out-file", "output path", lambda d: ["synth", "--manifest", f"{d}/vl/manifest.json",
                                                 "--out", f"{d}/file"], "--out"),
    ("ablate-out-file", "output path", lambda d: ["ablate", "--quick", "--out", f"{d}/file"],
     "--out"),
    ("verify-out-file", "output path", lambda d: ["verify", "--verilog", f"{d}/vl", "--out",
                                                  f"{d}/file"], "--out"),
] + [(f"{cmd}-seed-negative", "parameter value",
      (lambda cmd, extra: lambda d: [cmd, *[x.format(d=d) for x in extra], "--seed", "-1"])(
          cmd, extra), "--seed")
     for cmd, extra in (("demo", []), ("generate", ["-o", "{d}/m.v"]),
                        ("sim", ["--vectors", "{d}/good.npz", "--out", "{d}/o.npz"]),
                        ("verify", []), ("faults", []))]


@pytest.fixture
def workdir(tmp_path):
    d = tmp_path
    (d / "empty.npz").write_bytes(b"")
    np.save(d / "a.npy", np.zeros(3))
    (d / "file").write_text("not a directory, not an npz\n")
    (d / "dir").mkdir()
    (d / "rodir").mkdir()
    (d / "rodir").chmod(0o555)
    os.mkfifo(d / "fifo")
    n, B = 2, 16
    a = np.zeros((n, 1, B), np.uint8)
    arrays = dict(a=a, w=np.zeros_like(a), sa=np.full((n, 1), 0x38, np.uint8),
                  sw=np.full((n, 1), 0x38, np.uint8), t=np.zeros(n, np.uint32))
    np.savez(d / "good.npz", **arrays)
    a = a.copy()
    a[1, 0, 3] = 16
    np.savez(d / "bad_code.npz", **dict(arrays, a=a))
    # a manifest for verify, so that only --out is wrong
    (d / "vl").mkdir()
    (d / "vl" / "manifest.json").write_text('{"designs": []}')
    yield d
    (d / "rodir").chmod(0o755)


def _listing(d):
    return sorted((str(p.relative_to(d)), p.stat().st_size if p.is_file() else -1)
                  for p in d.rglob("*") if not p.is_fifo())


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_user_mistake_is_a_clear_error(case, workdir, capsys, monkeypatch):
    name, kind, argv, needle = case
    monkeypatch.chdir(workdir)
    before = _listing(workdir)
    with pytest.raises(SystemExit) as exc:   # any other exception is a traceback: the test fails
        main(argv(workdir))
    err = capsys.readouterr().err
    assert exc.value.code == 2, f"{name} ({kind}): exit status {exc.value.code}"
    assert "error:" in err and needle in err, f"{name} ({kind}): message {err!r}"
    assert "Traceback" not in err
    assert _listing(workdir) == before, f"{name} ({kind}): a file was written"


def test_faults_help_shows_the_real_default_design(capsys):
    with pytest.raises(SystemExit):
        main(["faults", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "lut|fulllut|mul (default fulllut)" in text
    assert "through the config port (default ram)" in text


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("nvlut ")
