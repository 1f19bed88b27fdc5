"""Model Library Format v7: layout, metadata.json, the shipped runtime, the Makefile build, the
tar format and atomic writing."""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from microtvm import mlf, runtime_files
from microtvm.compiler import CompileOptions, compile_model
from microtvm.errors import UserError
from microtvm_testing.host import alias_chain_model

MODEL = alias_chain_model()


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return compile_model(MODEL, "chain.tflite", CompileOptions(module_name="kws", target_cpu="cortex-m4"))


def test_layout(files):
    assert sorted(files) == [
        "README.md",
        "codegen/host/include/tvmgen_kws.h",
        "codegen/host/src/kws_constants.h",
        "codegen/host/src/kws_lib0.c",
        "codegen/host/src/kws_lib1.c",
        "metadata.json",
        "runtime/Makefile",
        "runtime/include/mtvm/conv.h",
        "runtime/include/mtvm/nhwc.h",
        "runtime/include/mtvm/platform.h",
        "runtime/include/mtvm/quant.h",
        "runtime/src/conv_internal.h",
        "runtime/src/conv_mac_s8.h",
        "runtime/src/fully_connected_s8.c",
        "src/kws.tflite",
    ]
    assert files["src/kws.tflite"] == MODEL


def test_build_members_are_what_codegen_writes(files):
    """The members the Bazel rule declares (mlf.BUILD_MEMBERS) are exactly the generated code
    and metadata.json, and the committed tools/microtvm/mlf_members.bzl lists them."""
    generated = {path for path in files if path.startswith("codegen/")} | {"metadata.json"}
    assert set(mlf.build_members("kws")) == generated
    committed = Path(__file__).absolute().parents[1] / "mlf_members.bzl"
    assert committed.read_text() == mlf.members_bzl(), (
        "tools/microtvm/mlf_members.bzl is stale: run `python3 -m microtvm.mlf > mlf_members.bzl` in tools/microtvm"
    )


def test_metadata(files):
    text = files["metadata.json"].decode()
    assert "datetime" not in text
    meta = json.loads(text)
    assert meta["version"] == 7
    module = meta["modules"]["kws"]
    assert module["model_name"] == "kws"
    assert module["executors"] == ["aot"] and module["style"] == "full-model"
    assert module["target"] == ["c -keys=arm_cpu,cpu -mcpu=cortex-m4"]
    assert module["model_sha256"] == hashlib.sha256(MODEL).hexdigest()
    memory = module["memory"]
    assert memory["io_size_bytes"] == 8 + 6 + 6
    assert memory["constants_size_bytes"] == 48 + 6 * 4  # FC weights + folded bias
    assert memory["workspace_size_bytes"] == 0  # FC writes into the output; the rest are aliases
    assert memory["functions"]["main"][0]["workspace_size_bytes"] == 0
    (out_a, out_b) = module["outputs"]
    assert out_a == {
        "name": "out_a", "c_name": "out_a", "dtype": "int8", "shape": [2, 3], "size": 6,
        "quantization": {"scale": [pytest.approx(0.1)], "zero_point": [2], "quantized_dimension": 0},
    }
    assert module["inputs"][0]["shape"] == [1, 2, 4]
    assert text == json.dumps(meta, indent=2, sort_keys=True) + "\n"  # stable formatting


def test_tar_is_deterministic_and_clean(files):
    data = mlf.tar_bytes(files)
    assert data == mlf.tar_bytes(dict(reversed(list(files.items()))))
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        assert names == sorted(names)
        for m in members:
            assert (m.mtime, m.uid, m.gid, m.uname, m.gname) == (0, 0, 0, "", "")
            assert m.mode == (0o755 if m.isdir() else 0o644)
        assert tar.extractfile("./metadata.json").read() == files["metadata.json"]


def test_tree_builds_alone_with_its_makefile(files, tmp_path):
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    tree = tmp_path / "mlf"
    mlf.write_dir(files, tree)
    subprocess.run(["make", "-s", "-C", str(tree / "runtime"), "CFLAGS=-std=c99 -O1 -Wall -Wextra -Werror"], check=True)
    library = tree / "runtime/build/libtvmgen_kws.a"
    symbols = subprocess.run(["nm", str(library)], capture_output=True, text=True, check=True).stdout
    assert " T tvmgen_kws_run" in symbols and " R tvmgen_kws_op1_fc_weights" in symbols


def test_write_tar_and_dir(files, tmp_path):
    mlf.write(files, tmp_path / "out" / "model.tar")
    assert (tmp_path / "out" / "model.tar").read_bytes() == mlf.tar_bytes(files)
    mlf.write(files, tmp_path / "tree")
    assert (tmp_path / "tree" / "metadata.json").read_bytes() == files["metadata.json"]
    # Writing again replaces the earlier tree (and only an MLF tree), leaving nothing else behind.
    (tmp_path / "tree" / "stale.txt").write_text("old")
    mlf.write(files, tmp_path / "tree")
    assert not (tmp_path / "tree" / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "tree"]


def test_refuses_to_replace_a_foreign_directory(files, tmp_path):
    precious = tmp_path / "src"
    precious.mkdir()
    (precious / "main.c").write_text("int main(void) { return 0; }\n")
    with pytest.raises(UserError, match="not a Model Library Format tree"):
        mlf.write(files, precious)
    assert (precious / "main.c").exists()


def test_failure_leaves_nothing_behind(files, tmp_path, monkeypatch):
    def broken(self, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", broken)
    with pytest.raises(OSError):
        mlf.write(files, tmp_path / "tree")
    monkeypatch.undo()
    monkeypatch.setattr(mlf, "tar_bytes", lambda files: b"x" * 10)
    monkeypatch.setattr("os.replace", lambda a, b: (_ for _ in ()).throw(OSError(5, "I/O error")))
    with pytest.raises(OSError):
        mlf.write(files, tmp_path / "model.tar")
    assert list(tmp_path.iterdir()) == []


def test_the_runtime_is_an_input(monkeypatch, tmp_path):
    """The kernel library comes from --runtime-dir, $MICROTVM_RUNTIME_DIR or the runfiles of a Bazel
    binary that declares it ($RUNFILES_DIR/<repository>/runtime), never from where the compiler lies."""
    checkout = Path(os.path.abspath(runtime_files.__file__)).parents[3]  # a checkout, or <runfiles>/<repo>
    runfiles = tmp_path / "runfiles"  # a runfiles tree as Bazel makes it: symlinks to the files
    for relative in ("tools/microtvm/microtvm/runtime_files.py", "runtime/include/mtvm/platform.h"):
        (runfiles / "some_repo" / relative).parent.mkdir(parents=True, exist_ok=True)
        (runfiles / "some_repo" / relative).symlink_to(checkout / relative)
    (runfiles / "other_repo" / "runtime").mkdir(parents=True)  # not the repository of this package
    monkeypatch.delenv(runtime_files.RUNTIME_DIR_ENV, raising=False)
    monkeypatch.delenv("TEST_SRCDIR", raising=False)
    monkeypatch.setenv("RUNFILES_DIR", str(runfiles))
    assert runtime_files.runtime_dir() == runfiles / "some_repo" / "runtime"
    monkeypatch.setenv("RUNFILES_DIR", str(tmp_path / "elsewhere"))  # runfiles without the runtime
    with pytest.raises(UserError, match="--runtime-dir"):
        runtime_files.runtime_dir()
    monkeypatch.setenv(runtime_files.RUNTIME_DIR_ENV, str(checkout / "runtime"))
    assert runtime_files.runtime_dir() == checkout / "runtime"
    with pytest.raises(UserError, match="not found at"):
        runtime_files.runtime_dir(tmp_path)
