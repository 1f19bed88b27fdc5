"""Same model and options -> byte-identical output, whatever the directory, time zone, umask,
or Python hash seed of the compilation."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import microtvm
from microtvm import runtime_files
from microtvm_testing.host import alias_chain_model
from microtvm.compiler import CompileOptions, compile_model


PACKAGE_ROOT = Path(microtvm.__file__).resolve().parents[1]


def _compile_in(directory: Path, model: bytes, env_extra: dict, umask: int, output: str) -> bytes:
    directory.mkdir(parents=True)
    (directory / "model.tflite").write_bytes(model)
    env = {
        **os.environ,
        **env_extra,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")])),
        # The child imports the package from the source tree, outside this test's runfiles: name
        # the kernel library (an input of every compilation) explicitly.
        "MICROTVM_RUNTIME_DIR": str(runtime_files.runtime_dir()),
    }
    script = f"import os, sys; os.umask({umask}); from microtvm.cli import main; sys.exit(main(sys.argv[1:]))"
    subprocess.run(
        [sys.executable, "-c", script, "compile", "model.tflite", "-o", output, "--module-name", "net", "--workspace-pools", "sram"],
        cwd=directory, env=env, check=True,
    )
    return (directory / output).read_bytes() if output.endswith(".tar") else b""


def test_two_directories_give_identical_tar_bytes(tmp_path):
    model = alias_chain_model()
    first = _compile_in(tmp_path / "a", model, {"TZ": "UTC", "PYTHONHASHSEED": "1"}, 0o022, "out.tar")
    second = _compile_in(tmp_path / "deeper" / "b", model, {"TZ": "Asia/Tokyo", "PYTHONHASHSEED": "2"}, 0o077, "out.tar")
    assert first == second and len(first) > 0


def test_directory_output_matches_the_tar(tmp_path):
    model = alias_chain_model()
    _compile_in(tmp_path / "a", model, {}, 0o077, "tree")
    files = compile_model(model, "model.tflite", CompileOptions(module_name="net", workspace_pools=("sram",)))
    tree = tmp_path / "a" / "tree"
    on_disk = {str(p.relative_to(tree)): p.read_bytes() for p in sorted(tree.rglob("*")) if p.is_file()}
    assert on_disk == files
    assert all(oct(p.stat().st_mode & 0o777) == oct(0o644) for p in tree.rglob("*") if p.is_file())


def test_repeated_compilation_is_identical():
    model = alias_chain_model()
    assert compile_model(model, "m.tflite") == compile_model(model, "m.tflite")
