"""The persistent state of stateful models (TFLite variable tensors: LSTM/SVDF state).

What the interface promises (DESIGN.md "State"): TVMGEN_<M>_STATE_SIZE, struct tvmgen_<m>_state,
tvmgen_<m>_reset_state, the state as the last argument of tvmgen_<m>_run; stateless models keep
their API unchanged. The state pool is separate from the (shareable) workspace, reported in
metadata.json, `microtvmc inspect` and the model metadata struct, and reset_state sets every
variable tensor to its initial value as TFLite does. The host driver (microtvm_testing/host.py) resets the
state on garbage and runs every sequence twice, so each run here also checks reset_state.
"""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from microtvm.cli import main
from microtvm.compiler import CompileOptions, compile_graph, compile_model, read_model
from microtvm.errors import UnsupportedError, UserError
from microtvm_testing import golden
from microtvm_testing.host import assert_matches_reference, build, build_files
from microtvm_testing.reference import random_input_sequence, run_reference_sequence
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model

Q = dict(dtype="int8", scale=0.05, zero_point=-3)


def _add_state_model(dtype: str = "int8", data=None) -> bytes:
    """output = input + state, the state a variable tensor no operator writes (it keeps its reset value)."""
    q = Q if dtype == "int8" else dict(dtype=dtype)
    return single_op_model(
        "ADD",
        [TensorSpec([1, 5], **q), TensorSpec([1, 5], **q, is_variable=True, data=data, name="state")],
        [TensorSpec([1, 5], **q)],
        {"fused_activation_function": "NONE"},
    )


def _svdf_model(dtype: str = "float32") -> bytes:
    """A float SVDF (batch 2, 3 inputs, 4 units, rank 2, memory 3): state that changes every run."""
    rng = np.random.default_rng(5)
    batch, n_in, units, rank, memory = 2, 3, 4, 2, 3
    return single_op_model(
        "SVDF",
        [
            TensorSpec([batch, n_in], dtype),
            TensorSpec([units * rank, n_in], dtype, data=rng.standard_normal((units * rank, n_in)).astype("f4")),
            TensorSpec([units * rank, memory], dtype, data=rng.standard_normal((units * rank, memory)).astype("f4")),
            TensorSpec([units], dtype, data=rng.standard_normal(units).astype(np.float32)),
            TensorSpec([batch, memory * units * rank], dtype, is_variable=True, name="svdf_state"),
        ],
        [TensorSpec([batch, units], dtype)],
        {"rank": rank, "fused_activation_function": "NONE"},
    )


def test_reader_and_writer_keep_is_variable():
    graph = read_model(_add_state_model(), "m.tflite")
    state = next(t for t in graph.tensors if t.name == "state")
    assert state.is_variable and not state.is_constant and state.data is None
    assert graph.inputs == (0,)  # a variable tensor is an operand, not a graph input
    plain = next(t for t in graph.tensors if t.name != "state")
    assert not plain.is_variable


def test_int8_state_resets_to_its_zero_point_over_a_sequence(tmp_path):
    """TFLite resets an int8 variable tensor to its zero point (the real value 0)."""
    assert_matches_reference(_add_state_model(), steps=3, workdir=tmp_path)


def test_float_state_resets_to_zero(tmp_path):
    assert_matches_reference(_add_state_model("float32"), steps=3, workdir=tmp_path)


def test_state_with_initial_data_starts_from_it(tmp_path):
    """LiteRT refuses variable tensors with data; we start from the data (TFLite's stated intent)."""
    init = np.arange(5, dtype=np.float32).reshape(1, 5) - 2.5
    host = build(_add_state_model("float32", data=init), tmp_path)
    x = np.random.default_rng(0).standard_normal((1, 5)).astype(np.float32)
    for outputs in host.run_sequence([[x], [x]]):
        np.testing.assert_allclose(outputs[0], x + init, rtol=1e-6)


def test_stateful_interface_and_reports():
    files = compile_model(_svdf_model(), "svdf.tflite", CompileOptions(module_name="kws"))
    header = files["codegen/host/include/tvmgen_kws.h"].decode()
    state_bytes = 2 * 3 * 4 * 2 * 4
    assert f"#define TVMGEN_KWS_STATE_SIZE {state_bytes}" in header
    assert "struct tvmgen_kws_state {\n  void* state;\n};" in header
    assert "int32_t tvmgen_kws_reset_state(struct tvmgen_kws_state* state);" in header
    assert (
        "int32_t tvmgen_kws_run(struct tvmgen_kws_inputs* inputs, struct tvmgen_kws_outputs* outputs, struct tvmgen_kws_state* state);"
        in header
    )
    memory = json.loads(files["metadata.json"])["modules"]["kws"]["memory"]
    assert memory["state_size_bytes"] == state_bytes
    assert memory["functions"]["main"][0]["state_size_bytes"] == state_bytes
    state = [b for b in memory["buffers"] if b["kind"] == "state"]
    assert [(b["tensor"], b["pool"], b["offset"], b["size_bytes"]) for b in state] == [
        ("svdf_state", "state", 0, state_bytes)
    ]
    assert all(p["name"] != "state" for p in memory["pools"])  # not part of the workspace
    lib0 = files["codegen/host/src/kws_lib0.c"].decode()
    assert f"  {state_bytes}u,\n}};" in lib0  # mtvm_model_metadata.state_size
    readme = files["README.md"].decode()
    assert "tvmgen_kws_reset_state(&state)" in readme


def test_stateless_models_keep_their_interface():
    files = compile_model(single_op_model("ADD", [TensorSpec([4], **Q)] * 2, [TensorSpec([4], **Q)]), "m.tflite")
    header = files["codegen/host/include/tvmgen_default.h"].decode()
    assert "STATE_SIZE" not in header and "_state" not in header.replace("state_size", "")
    run = "int32_t tvmgen_default_run(struct tvmgen_default_inputs* inputs, struct tvmgen_default_outputs* outputs);"
    assert run in header
    assert json.loads(files["metadata.json"])["modules"]["default"]["memory"]["state_size_bytes"] == 0


def test_inspect_reports_the_state(tmp_path, capsys):
    path = tmp_path / "svdf.tflite"
    path.write_bytes(_svdf_model())
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "state: 192 bytes in 1 variable tensor" in out
    assert "svdf_state" in out


def test_state_is_separate_from_the_workspace():
    """Two stateful models may share one workspace: the state never lives in a workspace pool."""
    compilation = compile_graph(read_model(_svdf_model(), "svdf.tflite"), _svdf_model())
    plan = compilation.plan
    assert plan.state_size == 192
    assert all(b.pool == "state" for b in plan.state_buffers)
    assert all(b.pool != "state" for b in plan.buffers if b.kind != "state")


@pytest.mark.parametrize(
    "options",
    [
        dict(workspace_pools=("sram",)),
        dict(use_workspace_io=True),
        dict(workspace_pools=("sram",), use_workspace_io=True),
    ],
)
def test_state_with_every_calling_convention(tmp_path, options):
    assert_matches_reference(_svdf_model(), seeds=(0,), steps=3, workdir=tmp_path, **options)


def test_two_streams_keep_separate_state(tmp_path):
    """One compiled model, two state buffers: interleaved runs give each stream its own result."""
    files = compile_model(_svdf_model(), "svdf.tflite", CompileOptions(module_name="m"))
    host = build_files(files, tmp_path)  # also builds the tree under tmp_path/mlf
    tree = tmp_path / "mlf"
    seq_a = random_input_sequence(_svdf_model(), 0, 3)
    seq_b = random_input_sequence(_svdf_model(), 1, 3)
    want_a = run_reference_sequence(_svdf_model(), seq_a)
    want_b = run_reference_sequence(_svdf_model(), seq_b)
    lines = [
        "#include <stdio.h>",
        "#include <string.h>",
        '#include "tvmgen_m.h"',
        "static float sa[TVMGEN_M_STATE_SIZE / 4], sb[TVMGEN_M_STATE_SIZE / 4], out[8];",
        "int main(void) {",
        "  struct tvmgen_m_state a = { sa }, b = { sb };",
        "  struct tvmgen_m_outputs o = { out };",
        "  tvmgen_m_reset_state(&a);",
        "  tvmgen_m_reset_state(&b);",
    ]
    for t in range(3):
        for label, seq in (("a", seq_a), ("b", seq_b)):
            values = ", ".join(repr(float(v)) for v in seq[t][0].ravel())
            lines += [
                f"  {{ static float x[6] = {{ {values} }}; struct tvmgen_m_inputs i = {{ x }};",
                f"    tvmgen_m_run(&i, &o, &{label});",
                '    for (int k = 0; k < 8; ++k) { printf("%.9g ", out[k]); }\n    printf("\\n"); }',
            ]
    lines += ["  return 0;", "}"]
    (tmp_path / "two.c").write_text("\n".join(lines) + "\n")
    sources = sorted(tree.glob("codegen/host/src/*.c")) + sorted(tree.glob("runtime/src/*.c"))
    exe = tmp_path / "two"
    subprocess.run(
        [
            "gcc",
            "-std=c99",
            "-Wall",
            "-Werror",
            f"-I{tree}/codegen/host/include",
            f"-I{tree}/codegen/host/src",
            f"-I{tree}/runtime/include",
            *map(str, sources),
            str(tmp_path / "two.c"),
            "-o",
            str(exe),
            "-lm",
        ],
        check=True,
    )
    rows = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split("\n")
    for t in range(3):
        for j, want in enumerate((want_a, want_b)):
            got = np.array([float(v) for v in rows[2 * t + j].split()], np.float32).reshape(2, 4)
            np.testing.assert_allclose(got, want[t][0], rtol=1e-5, atol=1e-6)
    assert host.stateful


def test_golden_program_runs_a_sequence(tmp_path):
    model = _svdf_model()
    files = compile_model(model, "svdf.tflite", CompileOptions(module_name="g"))
    build_files(files, tmp_path)
    tree = tmp_path / "mlf"
    program = golden.golden_program(model, json.loads(files["metadata.json"]), [0, 1])
    assert "tvmgen_g_reset_state(&state)" in program and "seed0_t2_expected0" in program
    (tmp_path / "golden.c").write_text(program)
    sources = sorted(tree.glob("codegen/host/src/*.c")) + sorted(tree.glob("runtime/src/*.c"))
    exe = tmp_path / "golden"
    subprocess.run(
        [
            "gcc",
            "-std=c99",
            "-Wall",
            "-Werror",
            f"-I{tree}/codegen/host/include",
            f"-I{tree}/codegen/host/src",
            f"-I{tree}/runtime/include",
            *map(str, sources),
            str(tmp_path / "golden.c"),
            "-o",
            str(exe),
            "-lm",
        ],
        check=True,
    )
    result = subprocess.run([str(exe)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    assert "2 of 2 seeds match LiteRT-ref" in result.stdout


def test_variable_tensor_as_model_output_is_rejected():
    tensors = [
        TensorSpec([1, 4], **Q, name="x"),
        TensorSpec([1, 4], **Q, is_variable=True, name="state"),
        TensorSpec([1, 4], **Q, name="y"),
    ]
    add = OpSpec("ADD", [0, 1], [2], {"fused_activation_function": "NONE"})
    model = build_model(tensors, [add], inputs=[0], outputs=[2, 1])
    with pytest.raises(UnsupportedError, match="'state' is a variable tensor"):
        compile_model(model, "m.tflite")


def test_workspace_pool_named_state_is_rejected_for_stateful_models():
    with pytest.raises(UserError, match="reserved for the state"):
        compile_model(_svdf_model(), "m.tflite", CompileOptions(workspace_pools=("state",)))
    # A stateless model may still call a pool "state".
    compile_model(
        single_op_model("ADD", [TensorSpec([4], **Q)] * 2, [TensorSpec([4], **Q)]),
        "m.tflite",
        CompileOptions(workspace_pools=("state",)),
    )


def test_io_tensor_named_state_does_not_collide_with_the_state_macro():
    q = {"dtype": "float32"}
    model = single_op_model(
        "ADD",
        [TensorSpec([1, 5], **q, name="STATE"), TensorSpec([1, 5], **q, is_variable=True, name="s")],
        [TensorSpec([1, 5], **q, name="y")],
    )
    header = compile_model(model, "m.tflite")["codegen/host/include/tvmgen_default.h"].decode()
    assert header.count("#define TVMGEN_DEFAULT_STATE_SIZE ") == 1
    assert "void* STATE_1;" in header


# A bare-metal Cortex-M4F image (vector table, reset handler, printf through semihosting) for
# running a golden program under QEMU, as the rules' microtvm_model_test does on a board image.
_BARE_METAL_C = r"""
#include <stdint.h>
extern uint32_t __bss_start__[], __bss_end__[], __data_start__[], __data_end__[], __data_load__[], __stack_top__[];
int main(void);
static uint32_t semihost(uint32_t op, uint32_t arg) {
  register uint32_t r0 __asm__("r0") = op;
  register uint32_t r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}
int _write(int fd, const char* text, int length) {
  (void)fd;
  for (int i = 0; i < length; ++i) semihost(0x03u, (uint32_t)&text[i]);
  return length;
}
static void bare_exit(int code) {
  static uint32_t block[2];
  block[0] = 0x20026u;
  block[1] = (uint32_t)code;
  semihost(0x18u, code == 0 ? 0x20026u : (uint32_t)block);
  for (;;) {}
}
static void fault(void) { bare_exit(3); }
static void reset(void) {
  *(volatile uint32_t*)0xE000ED88u |= 0xFu << 20; /* FPU on */
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  for (uint32_t *d = __data_start__, *s = __data_load__; d < __data_end__;) *d++ = *s++;
  for (uint32_t* p = __bss_start__; p < __bss_end__; ++p) *p = 0;
  bare_exit(main());
}
__attribute__((section(".vectors"), used)) static void (*const vectors[8])(void) = {
    (void (*)(void))__stack_top__, reset, fault, fault, fault, fault, fault, fault};
"""

_BARE_METAL_LD = """
MEMORY { FLASH (rx) : ORIGIN = 0x00000000, LENGTH = 4M  RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 4M }
SECTIONS {
  .text : { KEEP(*(.vectors)) *(.text .text.*) *(.rodata .rodata.*) } > FLASH
  .data : { __data_start__ = .; *(.data .data.*) . = ALIGN(4); __data_end__ = .; } > RAM AT > FLASH
  __data_load__ = LOADADDR(.data);
  .bss (NOLOAD) : { __bss_start__ = .; *(.bss .bss.*) *(COMMON) . = ALIGN(4); __bss_end__ = .; } > RAM
  __heap_start__ = .; end = .;
  __stack_top__ = ORIGIN(RAM) + LENGTH(RAM);
}
"""


def test_golden_program_on_qemu_cortex_m4(tmp_path):
    """The golden program of an int8 SVDF + int8 LSTM model (two states) built for a Cortex-M4F at
    -O2 and run under QEMU: every invocation of every seed matches LiteRT."""
    import shutil

    gcc, qemu = shutil.which("arm-none-eabi-gcc"), shutil.which("qemu-system-arm")
    if gcc is None or qemu is None:
        pytest.skip("arm-none-eabi-gcc or qemu-system-arm is not on PATH")
    model = _svdf_lstm_int8()
    files = compile_model(model, "stream.tflite", CompileOptions(module_name="stream", target_cpu="cortex-m4"))
    tree = tmp_path / "mlf"
    from microtvm import mlf

    mlf.write_dir(files, tree)
    (tmp_path / "golden.c").write_text(golden.golden_program(model, json.loads(files["metadata.json"]), [0, 1, 2]))
    (tmp_path / "bare_metal.c").write_text(_BARE_METAL_C)
    (tmp_path / "link.ld").write_text(_BARE_METAL_LD)
    sources = sorted(tree.glob("codegen/host/src/*.c")) + sorted(tree.glob("runtime/src/*.c"))
    elf = tmp_path / "golden.elf"
    command = [
        gcc,
        "-mthumb",
        "-mcpu=cortex-m4",
        "-mfloat-abi=hard",
        "-mfpu=fpv4-sp-d16",
        "-O2",
        "-std=c99",
        "-Wall",
        "-Wextra",
        "-Werror",
        f"-I{tree}/codegen/host/include",
        f"-I{tree}/codegen/host/src",
        f"-I{tree}/runtime/include",
        *map(str, sources),
        str(tmp_path / "golden.c"),
        str(tmp_path / "bare_metal.c"),
        "-nostartfiles",
        "--specs=nano.specs",
        "--specs=nosys.specs",
        "-T",
        str(tmp_path / "link.ld"),
        "-lm",
        "-o",
        str(elf),
    ]
    built = subprocess.run(command, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    ran = subprocess.run(
        [
            qemu,
            "-M",
            "mps2-an386",
            "-nographic",
            "-monitor",
            "none",
            "-semihosting-config",
            "enable=on,target=native",
            "-kernel",
            str(elf),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    console = ran.stdout + ran.stderr
    assert "3 of 3 seeds match LiteRT-ref" in console, console
    assert ran.returncode == 0, console


def _svdf_lstm_int8() -> bytes:
    """input [1, 6] int8 -> SVDF (int16 state) -> RESHAPE [1, 1, 4] -> int8 LSTM -> [1, 1, 5]."""
    rng = np.random.default_rng(3)
    q_x = {"dtype": "int8", "scale": 0.03, "zero_point": -5}
    q_s = {"dtype": "int8", "scale": 0.05, "zero_point": 2}
    svdf = [
        TensorSpec([1, 6], **q_x, name="x"),
        TensorSpec([8, 6], "int8", scale=0.006, zero_point=0, data=rng.integers(-127, 128, (8, 6), dtype=np.int8)),
        TensorSpec(
            [8, 3], "int16", scale=1 / 32767, zero_point=0, data=rng.integers(-32767, 32768, (8, 3), dtype=np.int16)
        ),
        TensorSpec([4], "int32", scale=1e-7, zero_point=0, data=rng.integers(-50000, 50000, 4, dtype=np.int32)),
        TensorSpec([1, 24], "int16", scale=0.0003, zero_point=0, is_variable=True, name="svdf_state"),
        TensorSpec([1, 4], **q_s, name="svdf_out"),
        TensorSpec([3], "int32", data=np.array([1, 1, 4], np.int32), name="shape"),
        TensorSpec([1, 1, 4], **q_s, name="seq"),
    ]
    ops = [
        OpSpec("SVDF", [0, 1, 2, 3, 4], [5], {"rank": 2, "fused_activation_function": "RELU"}),
        OpSpec("RESHAPE", [5, 6], [7], {"new_shape": [1, 1, 4]}),
    ]
    # The LSTM: its input (tensor 7 here) has the SVDF output's quantization.
    lstm_inputs, extra, intermediates, out = _lstm_int8_operands(rng, base=len(svdf), n_input=4, n_cell=5, q_in=q_s)
    ops.append(
        OpSpec(
            "UNIDIRECTIONAL_SEQUENCE_LSTM",
            [7, *lstm_inputs],
            [out],
            {"fused_activation_function": "TANH"},
            intermediates=intermediates,
        )
    )
    return build_model([*svdf, *extra], ops, inputs=[0], outputs=[out])


def _lstm_int8_operands(rng, base: int, n_input: int, n_cell: int, q_in: dict):
    """The 23 operands after the input of a plain int8 LSTM (no CIFG, peephole, layer norm or
    projection), its intermediates and output, as tensors numbered from `base`."""
    tensors: list[TensorSpec] = []
    inputs: list[int] = []

    def add(spec: TensorSpec | None) -> None:
        if spec is None:
            inputs.append(-1)
        else:
            inputs.append(base + len(tensors))
            tensors.append(spec)

    s_in, s_h = q_in["scale"], 1 / 128
    w_in = [
        TensorSpec(
            [n_cell, n_input],
            "int8",
            scale=0.02,
            zero_point=0,
            data=rng.integers(-127, 128, (n_cell, n_input), dtype=np.int8),
        )
        for _ in range(4)
    ]
    w_rec = [
        TensorSpec(
            [n_cell, n_cell],
            "int8",
            scale=0.01,
            zero_point=0,
            data=rng.integers(-127, 128, (n_cell, n_cell), dtype=np.int8),
        )
        for _ in range(4)
    ]
    for spec in (*w_in, *w_rec, None, None, None):
        add(spec)
    for g in range(4):
        add(
            TensorSpec(
                [n_cell],
                "int32",
                scale=s_in * 0.02,
                zero_point=0,
                data=rng.integers(-2000, 2000, n_cell, dtype=np.int32),
            )
        )
    add(None)
    add(None)
    add(TensorSpec([1, n_cell], "int8", scale=s_h, zero_point=-4, is_variable=True, name="lstm_h"))
    add(TensorSpec([1, n_cell], "int16", scale=2.0**-11, zero_point=0, is_variable=True, name="lstm_c"))
    for _ in range(4):
        add(None)
    out = base + len(tensors)
    tensors.append(TensorSpec([1, 1, n_cell], "int8", scale=s_h, zero_point=-4, name="y"))
    intermediates = []
    for k in range(4):
        intermediates.append(base + len(tensors))
        tensors.append(TensorSpec([0], "int16", scale=2.0**-12, zero_point=0, name=f"intermediate_{k}"))
    intermediates.append(base + len(tensors))
    tensors.append(TensorSpec([0], "int8", scale=s_h, zero_point=2, name="hidden"))
    return inputs, tensors, intermediates, out
