"""`microtvmc compile|inspect`: outputs, options, and user errors (one message, exit 2, no
traceback, nothing written)."""
from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

import microtvm
from microtvm_testing.host import alias_chain_model
from microtvm.cli import main
from microtvm.compiler import VERSION
from microtvm_testing.tflite_writer import TensorSpec, single_op_model


PACKAGE_ROOT = Path(microtvm.__file__).resolve().parents[1]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _hybrid_model() -> bytes:
    """MUL with float32 activations and int8 constant weights (dynamic-range quantization): a
    hybrid operator without a hybrid kernel."""
    weights = np.ones((4,), np.int8)
    return single_op_model(
        "MUL",
        [TensorSpec([1, 4], "float32"), TensorSpec([4], "int8", scale=0.1, zero_point=0, data=weights)],
        [TensorSpec([1, 4], "float32")],
    )


def _unsupported_model() -> bytes:
    return single_op_model("LSH_PROJECTION", [TensorSpec([1, 4], "float32")], [TensorSpec([1, 4], "float32")])


BAD_MODELS = {
    "truncated": lambda: alias_chain_model()[: len(alias_chain_model()) // 2],
    "random_bytes": lambda: np.random.default_rng(7).integers(0, 256, 3000, dtype=np.uint8).tobytes(),
    "empty": lambda: b"",
    "unsupported_operator": _unsupported_model,
    "hybrid": _hybrid_model,
}
EXPECTED = {
    "truncated": "",
    "random_bytes": "",
    "empty": "",
    "unsupported_operator": "LSH_PROJECTION",
    "hybrid": "hybrid",
}


@pytest.mark.parametrize("kind", BAD_MODELS)
@pytest.mark.parametrize("output", ["out.tar", "out_dir"])
def test_bad_models_fail_cleanly(kind, output, tmp_path, capsys):
    model = _write(tmp_path, "bad.tflite", BAD_MODELS[kind]())
    workdir = tmp_path / "work"
    workdir.mkdir()
    code = main(["compile", str(model), "-o", str(workdir / output)])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("microtvmc: error: "), captured.err
    assert "bad.tflite" in lines[0] and EXPECTED[kind] in lines[0]
    assert "Traceback" not in captured.err and captured.out == ""
    assert list(workdir.iterdir()) == []  # nothing written, not even a temporary file


def test_unsupported_operator_message_says_what_to_do(tmp_path, capsys):
    model = _write(tmp_path, "exp.tflite", _unsupported_model())
    assert main(["compile", str(model), "-o", str(tmp_path / "o.tar")]) == 2
    err = capsys.readouterr().err
    for words in ("LSH_PROJECTION", "operator 0", "subgraph 0", "Supported operators", "CONV_2D", "FULLY_CONNECTED"):
        assert words in err


def test_process_level_error_has_no_traceback(tmp_path):
    """`python -m microtvm` as a user runs it."""
    model = _write(tmp_path, "junk.tflite", b"\x00" * 64)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run(
        [sys.executable, "-m", "microtvm", "compile", str(model), "-o", str(tmp_path / "x.tar")],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("microtvmc: error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr and not (tmp_path / "x.tar").exists()


@pytest.mark.parametrize(
    "flags, words",
    [
        (["--module-name", "my-model"], "module name"),
        (["--alignment", "12"], "power of two"),
        (["--target-cpu", "pentium"], "cortex-m4"),
        (["--workspace-pools", "a,a"], "once"),
        (["--workspace-pools", "sram:lots"], "bytes"),
        (["--workspace-pools", "sram:8"], "does not fit"),
        (["--runtime-dir", "/nonexistent-runtime"], "runtime-dir"),
    ],
)
def test_bad_options(flags, words, tmp_path, capsys):
    model = _write(tmp_path, "m.tflite", alias_chain_model() if "sram:8" not in flags else _float_pool_model())
    assert main(["compile", str(model), "-o", str(tmp_path / "o.tar"), *flags]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1
    assert not (tmp_path / "o.tar").exists()


def _float_pool_model() -> bytes:
    """Two operators with an intermediate, so the workspace is not empty."""
    from microtvm_testing.tflite_writer import OpSpec, build_model

    tensors = [TensorSpec([4, 4], "float32", name="x"), TensorSpec([4, 4], "float32", name="m"), TensorSpec([4, 4], "float32", name="y")]
    ops = [OpSpec("ADD", [0, 0], [1], {"fused_activation_function": "NONE"}), OpSpec("ADD", [1, 0], [2], {"fused_activation_function": "NONE"})]
    return build_model(tensors, ops, inputs=[0], outputs=[2])


def test_compile_tar_and_directory(tmp_path, capsys):
    model = _write(tmp_path, "chain.tflite", alias_chain_model())
    assert main(["compile", str(model), "-o", str(tmp_path / "a.tar"), "--module-name", "net", "--workspace-pools", "sram", "--use-workspace-io"]) == 0
    with tarfile.open(tmp_path / "a.tar") as tar:
        header = tar.extractfile("./codegen/host/include/tvmgen_net.h").read().decode()
    assert "tvmgen_net_map_inputs(struct tvmgen_net_workspace_pools* workspace_pools)" in header
    assert "TVMGEN_NET_SRAM_WORKSPACE_POOL_SIZE" in header
    assert main(["compile", str(model), "-o", str(tmp_path / "tree")]) == 0
    assert (tmp_path / "tree/codegen/host/src/default_lib1.c").is_file()
    assert capsys.readouterr().err == ""


def test_inspect(tmp_path, capsys):
    model = _write(tmp_path, "chain.tflite", alias_chain_model())
    assert main(["inspect", str(model)]) == 0
    out = capsys.readouterr().out
    assert "FULLY_CONNECTED" in out and "total MACs: 48" in out  # 6 outputs x 8 inputs
    assert "weights: 88 bytes" in out and "peak of live bytes" in out
    assert "t7      output  out_a" in out


def test_compile_writes_the_inspect_report(tmp_path, capsys):
    """`compile --report` (what the Bazel rule runs) writes what `inspect` prints, from the one compilation."""
    model = _write(tmp_path, "chain.tflite", alias_chain_model())
    options = ["--module-name", "net", "--workspace-pools", "sram", "--use-workspace-io"]
    assert main(["inspect", str(model), *options]) == 0
    printed = capsys.readouterr().out
    report = tmp_path / "out/report.txt"
    assert main(["compile", str(model), "-o", str(tmp_path / "a.tar"), "--report", str(report), *options]) == 0
    assert report.read_text() == printed
    assert "pool sram (external)" in printed


def test_inspect_lists_unsupported_operators(tmp_path, capsys):
    model = _write(tmp_path, "exp.tflite", _unsupported_model())
    assert main(["inspect", str(model)]) == 0
    out = capsys.readouterr().out
    assert "LSH_PROJECTION" in out and "NO" in out and "cannot be compiled" in out


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and VERSION in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        main(["compile", "--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0 and "--workspace-pools" in out and "--use-workspace-io" in out
    with pytest.raises(SystemExit) as exit_:
        main(["compile"])  # missing arguments: argparse's usage error, exit 2
    assert exit_.value.code == 2
