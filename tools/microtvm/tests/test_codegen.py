"""Generated C: the header's ABI (TVM's --interface-api=c), names, constants, sections, and that
everything compiles warning-free with gcc and clang and runs under the sanitizers."""
from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess

import numpy as np
import pytest

from microtvm import mlf, ops
from microtvm.codegen.arrays import array_body, float_literal, int_literal
from microtvm.codegen.names import c_string, unique_names
from microtvm.compiler import CompileOptions, compile_model
from microtvm_testing.host import alias_chain_model, assert_matches_reference
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model


COMPILERS = [c for c in ("gcc", "clang") if shutil.which(c)]
MODES = {
    "default": dict(),
    "workspace_io": dict(use_workspace_io=True),
    "pools": dict(workspace_pools=("sram", "dtcm")),
    "pools_workspace_io": dict(workspace_pools=("sram",), use_workspace_io=True),
}


def _header_check(module: str, mode: dict) -> str:
    """C that only compiles if the header has exactly TVM's declarations for this mode."""
    P, M = f"tvmgen_{module}", f"TVMGEN_{module.upper()}"
    lines = [f'#include "tvmgen_{module}.h"', "#include <stddef.h>"]
    lines.append(f"typedef char size_in[({M}_INPUT_SIZE == 8) ? 1 : -1];")
    lines.append(f"typedef char size_a[({M}_OUT_A_SIZE == 6) ? 1 : -1];")
    lines.append(f"typedef char size_b[({M}_OUT_B_SIZE == 6) ? 1 : -1];")
    lines.append(f"typedef char workspace[({M}_WORKSPACE_SIZE >= 0) ? 1 : -1];")
    lines.append(f"static size_t io(struct {P}_inputs* i, struct {P}_outputs* o) {{ return sizeof(i->input) + sizeof(o->out_a) + sizeof(o->out_b); }}")
    pools = mode.get("workspace_pools", ())
    for pool in pools:
        lines.append(f"typedef char pool_{pool}[({M}_{pool.upper()}_WORKSPACE_POOL_SIZE >= 0) ? 1 : -1];")
        lines.append(f"static void* pool_member_{pool}(struct {P}_workspace_pools* p) {{ return p->{pool}; }}")
    if mode.get("use_workspace_io"):
        arg = f"struct {P}_workspace_pools*" if pools else "void"
        lines.append(f"int32_t (*run)({arg}) = {P}_run;")
        lines.append(f"struct {P}_inputs (*map_in)({arg}) = {P}_map_inputs;")
        lines.append(f"struct {P}_outputs (*map_out)({arg}) = {P}_map_outputs;")
    else:
        extra = f", struct {P}_workspace_pools*" if pools else ""
        lines.append(f"int32_t (*run)(struct {P}_inputs*, struct {P}_outputs*{extra}) = {P}_run;")
    lines.append(f"const struct mtvm_model_metadata* meta(void) {{ return &{P}_metadata; }}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("compiler", COMPILERS)
@pytest.mark.parametrize("mode", MODES, ids=list(MODES))
def test_header_abi_compiles_as_c_and_cpp(compiler, mode, tmp_path):
    files = compile_model(alias_chain_model(), "chain.tflite", CompileOptions(module_name="chain", **MODES[mode]))
    header = files["codegen/host/include/tvmgen_chain.h"].decode()
    assert 'extern "C" {' in header and "\\brief" in header
    (tmp_path / "tvmgen_chain.h").write_text(header)
    check = tmp_path / "check.c"
    check.write_text(_header_check("chain", MODES[mode]))
    flags = ["-Wall", "-Wextra", "-Werror", "-Wno-unused-function", "-Wno-unused-local-typedefs", f"-I{tmp_path}", "-fsyntax-only"]
    subprocess.run([compiler, "-std=c99", "-pedantic", *flags, str(check)], check=True)
    cxx = {"gcc": "g++", "clang": "clang++"}[compiler]
    if shutil.which(cxx):  # the header alone, from C++ (extern "C")
        (tmp_path / "check.cc").write_text('#include "tvmgen_chain.h"\nint main() { return chain_check(); }\n'.replace(
            "chain_check()", "tvmgen_chain_metadata.num_inputs == 1 ? 0 : 1"))
        subprocess.run([cxx, *flags, str(tmp_path / "check.cc")], check=True)


@pytest.mark.parametrize("compiler", COMPILERS)
def test_generated_code_is_clean_and_runs_with_each_compiler(compiler, tmp_path):
    assert_matches_reference(alias_chain_model(), seeds=(0, 1), workdir=tmp_path, cc=compiler, module_name="chain")


def test_sections_and_alignment_are_applied(tmp_path):
    if not shutil.which("readelf"):
        pytest.skip("readelf is not installed")
    options = CompileOptions(constants_section=".rodata.weights", workspace_section=".bss.arena", alignment=64)
    files = compile_model(_add_chain_model(), "add.tflite", options)
    tree = tmp_path / "mlf"
    mlf.write_dir(files, tree)
    for lib in ("default_lib0.c", "default_lib1.c"):
        obj = tmp_path / (lib + ".o")
        subprocess.run(
            ["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-c", str(tree / "codegen/host/src" / lib), "-o", str(obj),
             f"-I{tree / 'codegen/host/include'}", f"-I{tree / 'codegen/host/src'}", f"-I{tree / 'runtime/include'}"],
            check=True,
        )
    sections = subprocess.run(["readelf", "-S", "-W", str(tmp_path / "default_lib0.c.o")], capture_output=True, text=True, check=True).stdout
    line = next(l for l in sections.splitlines() if ".rodata.weights" in l)
    assert line.split()[-1] == "64"  # the section's alignment column
    sections = subprocess.run(["readelf", "-S", "-W", str(tmp_path / "default_lib1.c.o")], capture_output=True, text=True, check=True).stdout
    line = next(l for l in sections.splitlines() if ".bss.arena" in l)
    assert " NOBITS " in line and line.split()[-1] == "64"


def _add_chain_model() -> bytes:
    """Two ADDs (float32) through an intermediate, so there is an internal pool and constants."""
    tensors = [
        TensorSpec([2, 3], "float32", name="x"),
        TensorSpec([2, 3], "float32", data=np.array([[1.5, -2.25, 1e-30], [3.4e38, -0.0, 7.0]], np.float32), name="c"),
        TensorSpec([2, 3], "float32", name="mid"),
        TensorSpec([2, 3], "float32", name="y"),
    ]
    ops_ = [
        OpSpec("ADD", [0, 1], [2], {"fused_activation_function": "NONE"}),
        OpSpec("ADD", [2, 0], [3], {"fused_activation_function": "RELU"}),
    ]
    return build_model(tensors, ops_, inputs=[0], outputs=[3])


def test_float_model_with_internal_pool_matches(tmp_path):
    assert_matches_reference(_add_chain_model(), workdir=tmp_path)


def test_scratch_buffers_are_planned_and_passed(tmp_path, monkeypatch):
    """A lowering that asks for scratch gets a private block: fill it before the kernel runs;
    if it overlapped a live tensor the result would differ from LiteRT, and ASan catches
    anything outside the pool."""
    original = ops.LOWERINGS_BY_OPCODE["FULLY_CONNECTED"]

    def emit(op, ctx):
        emitted = original.emit(op, ctx)
        return dataclasses.replace(emitted, call=f"memset({ctx.scratch()}, 0x5A, 300);\n{emitted.call}")

    patched = dataclasses.replace(original, scratch_bytes=lambda op, graph: 300, emit=emit)
    monkeypatch.setitem(ops.LOWERINGS_BY_OPCODE, "FULLY_CONNECTED", patched)
    files = compile_model(alias_chain_model(), "chain.tflite")
    assert "memset(((void*)(workspace_pool + " in files["codegen/host/src/default_lib1.c"].decode()
    assert_matches_reference(alias_chain_model(), seeds=(0,), workdir=tmp_path)


def test_io_names_are_sanitised_unique_and_deterministic():
    names = ["serving_default/input:0", "serving-default.input.0", "1st", "int", "", "WORKSPACE", "Out"]
    got = unique_names(names, [f"f{i}" for i in range(len(names))], reserved=["WORKSPACE"])
    assert got == ["serving_default_input_0", "serving_default_input_0_1", "_1st", "int_", "f4", "WORKSPACE_1", "Out"]
    assert len({g.upper() for g in got}) == len(got)


def test_weird_tensor_names_compile(tmp_path):
    tensors = [
        TensorSpec([1, 4], "float32", name="in/put:0"),
        TensorSpec([1, 4], "float32", name="in.put:0"),
        TensorSpec([1, 4], "float32", name='we"ird*/\\ ??=name'),
    ]
    model = build_model(tensors, [OpSpec("ADD", [0, 1], [2], {"fused_activation_function": "NONE"})], inputs=[0, 1], outputs=[2])
    header = compile_model(model, "w.tflite")["codegen/host/include/tvmgen_default.h"].decode()
    assert "TVMGEN_DEFAULT_IN_PUT_0_SIZE 16" in header and "TVMGEN_DEFAULT_IN_PUT_0_1_SIZE 16" in header
    assert "void* we_ird_______name;" in header and "*/\\" not in header
    assert_matches_reference(model, seeds=(0,), workdir=tmp_path)


def test_literals_are_exact():
    values = np.array([0.1, -0.0, 1e-45, 3.4028235e38, 1 / 3, 123456789.0, 1.0], dtype=np.float32)
    for v in values:
        text = float_literal(float(v))
        assert text.endswith("f")
        assert np.float32(float(text[:-1])) == v and np.signbit(np.float32(float(text[:-1]))) == np.signbit(v)
    assert float_literal(float("inf")) == "INFINITY" and float_literal(float("-inf")) == "-INFINITY"
    assert int_literal(-(1 << 31), "int32") == "(-2147483647 - 1)"
    body = array_body(np.arange(-128, -100, dtype=np.int8))
    assert body.splitlines()[0] == "  -128, -127, -126, -125, -124, -123, -122, -121, -120, -119, -118, -117, -116, -115, -114, -113,"
    assert c_string('a"b\\c\n?é') == '"a\\"b\\\\c\\012\\077\\303\\251"'


def test_generated_code_has_no_heap_and_no_mutable_globals():
    files = compile_model(_add_chain_model(), "add.tflite")
    code = "\n".join(files[p].decode() for p in files if p.startswith("codegen/"))
    assert not re.search(r"\b(malloc|calloc|realloc|free)\s*\(", code)
    lib1 = files["codegen/host/src/default_lib1.c"].decode()
    mutable = [l for l in lib1.splitlines() if re.match(r"^(static )?[a-z_0-9]+_t\s+\w+\[", l)]
    assert mutable == ['static uint8_t tvmgen_default_workspace_pool[32] MTVM_POOL_ATTRS(".bss.noinit.tvm", 16);']
    lib0 = files["codegen/host/src/default_lib0.c"].decode()
    assert "const float tvmgen_default_" in lib0 and 'MTVM_CONST_ATTRS(".rodata.tvm", 16)' in lib0
