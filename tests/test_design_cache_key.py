"""The simulated design cache (``nvlut.verif.design``) is keyed on every source its Verilog
depends on: editing a spec fact in a copy of the package changes the key; editing a module the
generator does not import does not."""

import os
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("spec", "util", "golden", "hdl", "gen", "verif")

KEY = ("from nvlut.spec.params import MacParams\n"
       "from nvlut.verif.design import generator_key\n"
       "import nvlut.spec.formats\n"
       "print(nvlut.spec.formats.__file__)\n"
       "print(generator_key(MacParams()))\n"
       "print(generator_key(MacParams(block=32)))\n")


def _copy(tmp_path):
    """A copy of the package as ``<tmp>/nvlut/<package>``, importable through PYTHONPATH."""
    top = tmp_path / "nvlut"
    top.mkdir()
    shutil.copy(ROOT / "gen" / "_namespace" / "__init__.py", top / "__init__.py")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, top / package,
                        ignore=shutil.ignore_patterns("__pycache__", "_namespace"))
    return top


def _keys(path_entry):
    env = {**os.environ, "PYTHONPATH": str(path_entry)}
    out = subprocess.run([sys.executable, "-c", KEY], env=env, cwd=path_entry, text=True,
                         capture_output=True, check=True).stdout.split()
    return pathlib.Path(out[0]), out[1:]


def test_key_follows_every_source_the_verilog_depends_on(tmp_path):
    from nvlut.spec.params import MacParams
    from nvlut.verif.design import generator_key

    top = _copy(tmp_path)
    origin, before = _keys(tmp_path)
    assert origin == top / "spec" / "formats.py"        # the copy is what gets imported
    assert before == [generator_key(MacParams()), generator_key(MacParams(block=32))]
    assert before[0] != before[1]

    # modules the generator does not import: the key stays
    for name in ("golden/dot.py", "verif/coverage.py"):
        path = top / name
        path.write_text(path.read_text() + "\n# edited\n")
    assert _keys(tmp_path)[1] == before

    # a spec fact (imported by hdl, not by the generator front end): the key changes
    formats = top / "spec" / "formats.py"
    text = formats.read_text()
    assert 'E2M1 = Format("e2m1", 2, 1, "none")' in text
    formats.write_text(text.replace('E2M1 = Format("e2m1", 2, 1, "none")',
                                    'E2M1 = Format("e2m1", 2, 2, "none")'))
    after = _keys(tmp_path)[1]
    assert after[0] != before[0] and after[1] != before[1]

    # and so does the geometry the storage sizes its table with
    geometry = top / "spec" / "table_geometry.py"
    geometry.write_text(geometry.read_text().replace("bit_length() + 1", "bit_length() + 2"))
    assert _keys(tmp_path)[1][0] != after[0]
