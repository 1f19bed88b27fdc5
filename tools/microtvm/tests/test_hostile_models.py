"""Hostile and broken models: each becomes one UserError (exit 2 through microtvmc, nothing written).

Also runs every input the fuzzer ever found (tools/microtvm/fuzz/crashes/) through the fuzz target
(success or UserError, within the per-input time limit). See tools/microtvm/fuzz/README.md.
"""

from __future__ import annotations

import builtins
import os
import struct
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest
from microtvm import cli, limits, mlf
from microtvm.compiler import compile_model
from microtvm.errors import ModelFormatError, UnsupportedError, UserError
from microtvm_testing import tflite_writer
from microtvm_testing.tflite_writer import OpSpec, SubgraphSpec, TensorSpec, build_model, single_op_model

FUZZ_DIR = Path(__file__).resolve().parents[1] / "fuzz"
sys.path.insert(0, str(FUZZ_DIR))
import target  # noqa: E402  (tools/microtvm/fuzz/target.py, the fuzz target)


def f32(shape: list[int]) -> TensorSpec:
    return TensorSpec(shape, "float32")


def s8(shape: list[int], **kwargs: object) -> TensorSpec:
    return TensorSpec(shape, "int8", scale=0.05, zero_point=-3, **kwargs)


def small_model() -> bytes:
    """An int8 FULLY_CONNECTED with weights and bias: constants, quantization, options."""
    weights = np.arange(-6, 6, dtype=np.int8).reshape(4, 3)
    bias = np.arange(4, dtype=np.int32)
    return single_op_model(
        "FULLY_CONNECTED",
        [
            s8([1, 3]),
            TensorSpec([4, 3], "int8", scale=0.02, zero_point=0, data=weights),
            TensorSpec([4], "int32", scale=0.001, zero_point=0, data=bias),
        ],
        [s8([1, 4])],
        {"fused_activation_function": "RELU"},
    )


def relu_chain(tensors: list[TensorSpec], ops: list[OpSpec], inputs: list[int], outputs: list[int]) -> bytes:
    return build_model(tensors, ops, inputs, outputs)


def expect_error(data: bytes, kind: type[UserError], *words: str) -> str:
    with pytest.raises(kind) as info:
        compile_model(data, "hostile.tflite")
    message = str(info.value)
    assert "\n" not in message.strip()
    for word in words:
        assert word in message, message
    return message


def patch_once(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) == 1, f"{old!r} occurs {data.count(old)} times"
    return data.replace(old, new)


# ---------------------------------------------------------------------------------------------
# Truncation, buffers, sizes


def test_small_model_compiles() -> None:
    compile_model(small_model(), "small.tflite")


def test_truncated_at_every_offset() -> None:
    data = small_model()
    for n in range(len(data)):
        # every prefix lacks something the model needs
        with target.time_limit(target.TIME_LIMIT_S), pytest.raises(UserError):
            compile_model(data[:n], "truncated.tflite")


def _with_external_buffer(monkeypatch: pytest.MonkeyPatch, marker: bytes, offset: int, size: int) -> None:
    """The writer stores the constant whose bytes are `marker` as TFLite's large-model form:
    Buffer.offset/size (data outside the flatbuffer) instead of inline data."""
    original = tflite_writer._write_buffer

    def write_buffer(b, data):  # noqa: ANN001, ANN202 (the writer's private signature)
        if data != marker:
            return original(b, data)
        buf = tflite_writer._fb("Buffer")
        buf.Start(b)
        buf.AddOffset(b, offset)
        buf.AddSize(b, size)
        return buf.End(b)

    monkeypatch.setattr(tflite_writer, "_write_buffer", write_buffer)


def _external_weights_model(monkeypatch: pytest.MonkeyPatch, offset: int, size: int) -> bytes:
    weights = np.array([[7, -7, 5]], dtype=np.int8)
    _with_external_buffer(monkeypatch, weights.tobytes(), offset, size)
    return single_op_model(
        "FULLY_CONNECTED",
        [s8([1, 3]), TensorSpec([1, 3], "int8", scale=0.02, zero_point=0, data=weights)],
        [s8([1, 1])],
    )


@pytest.mark.parametrize("offset, size", [(1 << 20, 3), (100, 1 << 40), ((1 << 63) - 1, 3), (1 << 63, 1 << 63)])
def test_buffer_offset_or_size_past_the_end(monkeypatch: pytest.MonkeyPatch, offset: int, size: int) -> None:
    model = _external_weights_model(monkeypatch, offset, size)
    expect_error(model, ModelFormatError, "buffer", "past the end")


def test_external_buffer_inside_the_file_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same mechanism with an offset inside the file: read, then checked against the shape."""
    model = _external_weights_model(monkeypatch, 8, 3)
    compile_model(model, "external.tflite")  # 3 bytes at offset 8: any 3 bytes are valid int8
    model = _external_weights_model(monkeypatch, 8, 5)
    expect_error(model, ModelFormatError, "int8[1, 3] (3 bytes)", "holds 5 bytes")


def test_weights_not_matching_their_shape() -> None:
    weights = np.arange(6, dtype=np.float32).reshape(2, 3)
    model = single_op_model("ADD", [f32([1, 2, 3]), TensorSpec([2, 3], "float32", data=weights)], [f32([1, 2, 3])])
    # The constant's shape vector (length-prefixed int32) [2, 3] becomes [2, 4]: 32 bytes declared, 24 stored.
    broken = patch_once(model, struct.pack("<3i", 2, 2, 3), struct.pack("<3i", 2, 2, 4))
    expect_error(broken, ModelFormatError, "float32[2, 4] (32 bytes)", "holds 24 bytes")


def test_tensor_of_2_pow_31_elements() -> None:
    big = [1 << 16, 1 << 15]
    model = single_op_model("RELU", [s8(big)], [s8(big)])
    message = expect_error(model, ModelFormatError, "2,147,483,648 elements")
    assert "refused" in message


def test_tensor_over_the_byte_limit() -> None:
    shape = [limits.MAX_TENSOR_BYTES // 4 + 1]
    expect_error(single_op_model("RELU", [f32(shape)], [f32(shape)]), ModelFormatError, "refused")


def test_tensors_adding_up_over_the_total_limit() -> None:
    shape = [limits.MAX_TENSOR_BYTES // 4]  # each at the per-tensor limit
    count = limits.MAX_TOTAL_TENSOR_BYTES // limits.MAX_TENSOR_BYTES + 1
    tensors = [f32(shape) for _ in range(count)]
    ops = [OpSpec("RELU", [i], [i + 1]) for i in range(count - 1)]
    expect_error(build_model(tensors, ops, [0], [count - 1]), ModelFormatError, "add up to more than")


def test_rank_over_the_limit() -> None:
    shape = [1] * (limits.MAX_RANK + 1)
    expect_error(single_op_model("RELU", [f32(shape)], [f32(shape)]), ModelFormatError, "dimensions")


@pytest.mark.parametrize("shape", [[-3, 4], [2, -1 << 31]])
def test_negative_dimensions(shape: list[int]) -> None:
    expect_error(single_op_model("RELU", [f32(shape)], [f32(shape)]), ModelFormatError, "negative dimension")


@pytest.mark.parametrize("shape", [[0], [3, 0, 2]])
def test_zero_dimensions_are_empty_tensors(shape: list[int]) -> None:
    """Not an error: TFLite tensors may be empty (LiteRT runs such models; test_ops_shape.py checks
    empty outputs against it). The compiled model reads and writes nothing for them."""
    files = compile_model(single_op_model("RELU", [f32(shape)], [f32(shape)]), "empty.tflite")
    assert files


# ---------------------------------------------------------------------------------------------
# Graph structure


def test_cycle_in_the_operator_graph() -> None:
    model = build_model(
        [f32([4]), f32([4]), f32([4])], [OpSpec("ADD", [0, 2], [1]), OpSpec("ADD", [1, 0], [2])], [0], [2]
    )
    expect_error(model, ModelFormatError, "operator 0", "before it is written", "cycle")


def test_operator_reading_its_own_output() -> None:
    model = build_model([f32([4]), f32([4])], [OpSpec("ADD", [0, 1], [1])], [0], [1])
    expect_error(model, ModelFormatError, "written by itself")


def test_tensor_written_twice() -> None:
    model = build_model([f32([4]), f32([4])], [OpSpec("RELU", [0], [1]), OpSpec("RELU", [0], [1])], [0], [1])
    expect_error(model, ModelFormatError, "one writer")


def test_operator_writing_a_model_input() -> None:
    model = build_model([f32([4]), f32([4])], [OpSpec("RELU", [1], [0]), OpSpec("RELU", [0], [1])], [0], [1])
    expect_error(model, ModelFormatError, "model input")


def test_operator_reading_a_tensor_nothing_writes() -> None:
    model = build_model([f32([4]), f32([4]), f32([4])], [OpSpec("ADD", [0, 2], [1])], [0], [1])
    expect_error(model, UnsupportedError, "no operator writes", "neither a constant nor a variable")


def test_output_nothing_writes() -> None:
    model = build_model([f32([4]), f32([4]), f32([4])], [OpSpec("RELU", [0], [1])], [0], [1, 2])
    expect_error(model, ModelFormatError, "written by no operator")


@pytest.mark.parametrize("option, value", [("then_subgraph_index", 7), ("else_subgraph_index", -1)])
def test_subgraph_index_out_of_range(option: str, value: int) -> None:
    branch = SubgraphSpec([f32([4]), f32([4])], [OpSpec("RELU", [0], [1])], [0], [1])
    options = {"then_subgraph_index": 1, "else_subgraph_index": 1, option: value}
    model = build_model(
        [TensorSpec([1], "bool"), f32([4]), f32([4])],
        [OpSpec("IF", [0, 1], [2], options)],
        [0, 1],
        [2],
        subgraphs=[branch],
    )
    expect_error(model, ModelFormatError, f"runs subgraph {value}")


def test_exponential_control_flow_is_refused_quickly() -> None:
    """Subgraph k runs subgraph k+1 from both branches of an IF: 2^depth operators run for a few
    hundred bytes of file. The reader counts before anything expands it."""
    depth = 20
    cond = TensorSpec([1], "bool")
    parts = []
    for k in range(1, depth + 1):
        if k == depth:
            parts.append(SubgraphSpec([cond, f32([4]), f32([4])], [OpSpec("RELU", [1], [2])], [0, 1], [2]))
        else:
            options = {"then_subgraph_index": k + 1, "else_subgraph_index": k + 1}
            parts.append(SubgraphSpec([cond, f32([4]), f32([4])], [OpSpec("IF", [0, 0, 1], [2], options)], [0, 1], [2]))
    main_options = {"then_subgraph_index": 1, "else_subgraph_index": 1}
    model = build_model(
        [cond, f32([4]), f32([4])], [OpSpec("IF", [0, 0, 1], [2], main_options)], [0, 1], [2], subgraphs=parts
    )
    started = time.monotonic()
    expect_error(model, ModelFormatError, "more than", "operators")
    assert time.monotonic() - started < 5


def test_custom_options_unfolding_exponentially() -> None:
    """A flexbuffer vector holding the same offset twice, nested: 2^40 values in ~200 bytes."""
    from flatbuffers import flexbuffers
    from microtvm.frontend import reader

    fbt_int, fbt_vector = 1, 10  # flexbuffers' types; packed type = type << 2 | width code (0: 1 byte)
    buf = bytearray([2, 7, 7, fbt_int << 2, fbt_int << 2])  # [7, 7]: length, inline values, types
    child = 1  # where the child vector's elements start (offsets point there)
    for _ in range(40):
        buf.append(2)  # length
        at = len(buf)
        buf += bytes([at - child, at + 1 - child])  # two offsets back to the same child
        buf += bytes([fbt_vector << 2] * 2)
        child = at
    buf += bytes([len(buf) - child, fbt_vector << 2, 1])  # the root: offset, type, byte width
    root = flexbuffers.GetRoot(bytes(buf))
    assert len(root.AsVector) == 2 and len(root.AsVector[0].AsVector[1].AsVector) == 2  # well formed
    started = time.monotonic()
    with pytest.raises(ValueError, match="too many values"):
        reader._flex_value(root, [limits.MAX_CUSTOM_OPTION_VALUES], 0)
    assert time.monotonic() - started < 5


# ---------------------------------------------------------------------------------------------
# Through microtvmc: the model file, the output path


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "model.tflite"
    path.write_bytes(small_model())
    return path


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(args)
    err = capsys.readouterr().err
    return code, err


def assert_one_line_error(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    assert err.startswith("microtvmc: error: ") and err.count("\n") == 1, err
    for word in words:
        assert word in err, err


def test_2gb_sparse_file_is_refused_before_it_is_read(tmp_path: Path, capsys, monkeypatch) -> None:  # noqa: ANN001
    path = tmp_path / "huge.tflite"
    with open(path, "wb") as out:
        out.truncate(2 << 30)  # sparse: no disk space used
    reads = []
    real_open = builtins.open

    def tracking_open(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        handle = real_open(*args, **kwargs)
        original_read = handle.read
        handle.read = lambda *a: reads.append(a) or original_read(*a)  # type: ignore[method-assign]
        return handle

    monkeypatch.setattr(cli, "open", tracking_open, raising=False)
    code, err = run_cli(["compile", str(path), "-o", str(tmp_path / "out.tar")], capsys)
    assert_one_line_error(code, err, "2,147,483,648 bytes", "refused")
    assert reads == []
    assert not (tmp_path / "out.tar").exists()


def test_endless_stream_is_refused_without_reading_it_all(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    code, err = run_cli(["compile", "/dev/zero", "-o", str(tmp_path / "out.tar")], capsys)
    assert_one_line_error(code, err, "not a TFLite model")


def test_directory_as_the_model(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    code, err = run_cli(["compile", str(tmp_path), "-o", str(tmp_path / "out.tar")], capsys)
    assert_one_line_error(code, err, "is a directory")


def test_unreadable_model(model_file: Path, tmp_path: Path, capsys, monkeypatch) -> None:  # noqa: ANN001
    if os.geteuid() != 0:
        model_file.chmod(0)
    else:  # root reads any file (os.access too says yes): fail the open as the kernel would (EACCES)

        def denied(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            raise PermissionError(13, "Permission denied", str(args[0]))

        monkeypatch.setattr(cli, "open", denied, raising=False)
    code, err = run_cli(["compile", str(model_file), "-o", str(tmp_path / "out.tar")], capsys)
    assert_one_line_error(code, err, "Permission denied", "model.tflite")
    assert not (tmp_path / "out.tar").exists()


def test_output_in_a_directory_that_does_not_exist_is_created(model_file: Path, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    out = tmp_path / "new" / "dir" / "out.tar"
    code, err = run_cli(["compile", str(model_file), "-o", str(out)], capsys)
    assert code == 0, err
    assert tarfile.is_tarfile(out)


@pytest.mark.parametrize("output", ["out.tar", "out_dir"])
def test_output_under_a_regular_file(model_file: Path, tmp_path: Path, capsys, output: str) -> None:  # noqa: ANN001
    (tmp_path / "file").write_text("not a directory")
    code, err = run_cli(["compile", str(model_file), "-o", str(tmp_path / "file" / output)], capsys)
    assert_one_line_error(code, err)
    assert (tmp_path / "file").read_text() == "not a directory"


def _listing(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("output", ["out.tar", "out_dir"])
def test_read_only_output_leaves_the_old_output_untouched(
    model_file: Path,
    tmp_path: Path,
    capsys,
    monkeypatch,
    output: str,  # noqa: ANN001
) -> None:
    dest_dir = tmp_path / "dest"
    dest_dir.mkdir()
    out = dest_dir / output
    code, err = run_cli(["compile", str(model_file), "-o", str(out)], capsys)
    assert code == 0, err
    before = _listing(dest_dir)
    other = tmp_path / "other.tflite"
    other.write_bytes(single_op_model("RELU", [f32([4])], [f32([4])]))
    if os.geteuid() != 0:
        dest_dir.chmod(0o555)
    else:  # root writes anywhere: fail the final step (the rename into place) as a read-only directory would

        def read_only(src, dst):  # noqa: ANN001, ANN202
            raise PermissionError(13, "Permission denied", str(dst))

        monkeypatch.setattr(mlf.os, "replace", read_only)
    try:
        code, err = run_cli(["compile", str(other), "-o", str(out)], capsys)
    finally:
        dest_dir.chmod(0o755)
    assert_one_line_error(code, err, "Permission denied")
    assert _listing(dest_dir) == before  # the old output untouched, no temporary files left
    assert sorted(p.name for p in dest_dir.iterdir()) == [output]


# ---------------------------------------------------------------------------------------------
# Fuzzer findings


def _findings() -> list[Path]:
    return sorted(p for p in (FUZZ_DIR / "crashes").iterdir() if p.is_file() and not p.name.startswith("README"))


@pytest.mark.parametrize("path", _findings(), ids=lambda p: p.name)
def test_fuzzer_finding(path: Path) -> None:
    """Every input the fuzzer found (and the issue's reproducers): success or UserError, in time."""
    with target.time_limit(target.TIME_LIMIT_S):
        target.check(path.read_bytes())
