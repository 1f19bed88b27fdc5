"""Run compiled models on the host, for tests: compile -> build with sanitizers -> run.

The MLF is written under a working directory (pytest's tmp_path), a small C test driver is
added (read inputs from files, call tvmgen_<m>_run twice, check both runs agree, write outputs),
and everything is built with

    ${CC:-gcc} -std=c99 -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all -g

Inputs, outputs and external pools are heap blocks of exactly their size, so AddressSanitizer
reports any access outside them. The compiler and flags can be overridden (cc=, cflags=, or the
CC / MICROTVM_TEST_CFLAGS environment variables) to build with clang as well.
"""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from .. import mlf
from ..compiler import CompileOptions, compile_model

DEFAULT_CFLAGS = (
    "-std=c99", "-Wall", "-Wextra", "-Werror",
    "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g",
)

_RUN_ENV = {
    "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0:halt_on_error=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}


def c_compiler(cc: Optional[str] = None) -> list[str]:
    return shlex.split(cc or os.environ.get("CC") or "gcc")


def c_flags(cflags: Optional[Sequence[str]] = None) -> list[str]:
    if cflags is not None:
        return list(cflags)
    extra = os.environ.get("MICROTVM_TEST_CFLAGS")
    return list(DEFAULT_CFLAGS) + (shlex.split(extra) if extra else [])


@dataclass(frozen=True)
class _Tensor:
    c_name: str
    dtype: str
    shape: tuple[int, ...]
    size: int


@dataclass
class HostModel:
    """A compiled and built model that can be run many times (one build per model and options)."""

    executable: Path
    inputs: list[_Tensor]
    outputs: list[_Tensor]
    workdir: Path

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        if len(inputs) != len(self.inputs):
            raise ValueError(f"the model has {len(self.inputs)} inputs, got {len(inputs)}")
        paths = []
        for i, (array, spec) in enumerate(zip(inputs, self.inputs)):
            data = np.ascontiguousarray(np.asarray(array, dtype=spec.dtype).reshape(spec.shape)).tobytes()
            path = self.workdir / f"input_{i}.bin"
            path.write_bytes(data)
            paths.append(path)
        out_paths = [self.workdir / f"output_{i}.bin" for i in range(len(self.outputs))]
        for path in out_paths:
            path.unlink(missing_ok=True)
        result = subprocess.run(
            [str(self.executable), *map(str, paths), *map(str, out_paths)],
            capture_output=True,
            text=True,
            env={**os.environ, **_RUN_ENV},
            timeout=600,
        )
        if result.returncode != 0:
            raise AssertionError(f"the compiled model failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
        return [
            np.frombuffer(path.read_bytes(), dtype=spec.dtype).reshape(spec.shape).copy()
            for path, spec in zip(out_paths, self.outputs)
        ]


def build(
    model: bytes,
    workdir: Optional[Path] = None,
    *,
    cc: Optional[str] = None,
    cflags: Optional[Sequence[str]] = None,
    source_name: str = "model.tflite",
    **compile_options,
) -> HostModel:
    """Compile `model` with our pipeline and build it with the test driver."""
    workdir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="microtvm-host-"))
    options = CompileOptions(**compile_options)
    files = compile_model(model, source_name, options)
    return build_files(files, workdir, cc=cc, cflags=cflags)


def build_files(files: dict[str, bytes], workdir: Path, *, cc: Optional[str] = None, cflags: Optional[Sequence[str]] = None) -> HostModel:
    """Build an MLF tree (as compile_model returns it) with the test driver."""
    workdir = Path(workdir)
    tree = workdir / "mlf"
    mlf.write_dir(files, tree)
    metadata = json.loads(files["metadata.json"])
    (module_name, module), = metadata["modules"].items()

    def tensors(key: str) -> list[_Tensor]:
        return [_Tensor(t["c_name"], t["dtype"], tuple(t["shape"]), t["size"]) for t in module[key]]

    inputs, outputs = tensors("inputs"), tensors("outputs")
    pools = [p for p in module["memory"]["pools"] if p["external"]]
    driver = workdir / "main.c"
    driver.write_text(
        _driver(module_name, inputs, outputs, [p["name"] for p in pools], module["use_workspace_io"], module["memory"]["alignment"])
    )
    sources = sorted(tree.glob("codegen/host/src/*.c")) + sorted(tree.glob("runtime/src/*.c"))
    executable = workdir / "model"
    command = [
        *c_compiler(cc), *c_flags(cflags),
        f"-I{tree / 'codegen/host/include'}", f"-I{tree / 'codegen/host/src'}", f"-I{tree / 'runtime/include'}",
        *map(str, sources), str(driver), "-o", str(executable), "-lm",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise AssertionError(f"building the generated code failed:\n{shlex.join(command)}\n{result.stdout}\n{result.stderr}")
    return HostModel(executable, inputs, outputs, workdir)


def run_compiled(
    model: bytes,
    inputs: Sequence[np.ndarray],
    *,
    workdir: Optional[Path] = None,
    cc: Optional[str] = None,
    cflags: Optional[Sequence[str]] = None,
    **compile_options,
) -> list[np.ndarray]:
    """Outputs of our generated C for `inputs` (compile options as CompileOptions fields)."""
    return build(model, workdir, cc=cc, cflags=cflags, **compile_options).run(inputs)


def assert_matches_reference(
    model: bytes,
    seeds: Sequence[int] = (0, 1, 2),
    rtol: float = 1e-5,
    atol: float = 1e-6,
    *,
    workdir: Optional[Path] = None,
    cc: Optional[str] = None,
    cflags: Optional[Sequence[str]] = None,
    **compile_options,
) -> None:
    """For each seed: random inputs, LiteRT's reference kernels vs our generated C. Integer
    outputs must be equal; float outputs within rtol/atol. Builds once for all seeds."""
    from .reference import random_inputs, run_reference

    host = build(model, workdir, cc=cc, cflags=cflags, **compile_options)
    for seed in seeds:
        inputs = random_inputs(model, seed)
        expected = run_reference(model, inputs)
        actual = host.run(inputs)
        assert len(actual) == len(expected), f"{len(actual)} outputs, LiteRT gives {len(expected)}"
        for k, (ours, theirs) in enumerate(zip(actual, expected)):
            theirs = np.asarray(theirs)
            message = f"seed {seed}, output {k}"
            assert ours.shape == theirs.shape, f"{message}: shape {ours.shape} != LiteRT {theirs.shape}"
            assert ours.dtype == theirs.dtype, f"{message}: dtype {ours.dtype} != LiteRT {theirs.dtype}"
            if theirs.dtype.kind == "f":
                np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=message)
            else:
                np.testing.assert_array_equal(ours, theirs, err_msg=message)


def alias_chain_model() -> bytes:
    """A small int8 model for tests of the whole pipeline (aliases around one operator):

        input[1,2,4] -RESHAPE-> [1,8] -FULLY_CONNECTED-> fc[1,6] -RESHAPE-> out_a[2,3]
                                                                \\-SQUEEZE-> out_b[6]

    RESHAPE of a graph input (alias), an operator writing straight into an output (out_a), and
    a second output sharing those bytes (a copy)."""
    from .tflite_writer import OpSpec, TensorSpec, build_model

    rng = np.random.default_rng(1)
    q_in = dict(dtype="int8", scale=0.05, zero_point=-3)
    q_out = dict(dtype="int8", scale=0.1, zero_point=2)
    tensors = [
        TensorSpec([1, 2, 4], **q_in, name="input"),
        TensorSpec([2], "int32", data=np.array([1, 8], np.int32), name="shape_flat"),
        TensorSpec([1, 8], **q_in, name="flat"),
        TensorSpec([6, 8], "int8", scale=0.02, zero_point=0, data=rng.integers(-127, 128, (6, 8), dtype=np.int8), name="weights"),
        TensorSpec([6], "int32", scale=0.05 * 0.02, zero_point=0, data=rng.integers(-2000, 2000, (6,), dtype=np.int32), name="bias"),
        TensorSpec([1, 6], **q_out, name="fc"),
        TensorSpec([2], "int32", data=np.array([2, 3], np.int32), name="shape_a"),
        TensorSpec([2, 3], **q_out, name="out_a"),
        TensorSpec([6], **q_out, name="out_b"),
    ]
    ops = [
        OpSpec("RESHAPE", [0, 1], [2], {"new_shape": [1, 8]}),
        OpSpec("FULLY_CONNECTED", [2, 3, 4], [5], {"fused_activation_function": "NONE"}),
        OpSpec("RESHAPE", [5, 6], [7], {"new_shape": [2, 3]}),
        OpSpec("SQUEEZE", [5], [8], {"squeeze_dims": [0]}),
    ]
    return build_model(tensors, ops, inputs=[0], outputs=[7, 8])


_DRIVER = r"""/* Test driver generated by microtvm.testing.host: not part of the product. */
#define _POSIX_C_SOURCE 200112L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tvmgen_@M@.h"

static void* allocate(size_t size, size_t alignment) {
  void* p = NULL;
  if (posix_memalign(&p, alignment, size ? size : 1) != 0) {
    fprintf(stderr, "out of memory\n");
    exit(3);
  }
  memset(p, 0xA5, size ? size : 1); /* garbage: nothing may rely on zeroed memory */
  return p;
}

static void read_file(const char* path, void* data, size_t size) {
  FILE* f = fopen(path, "rb");
  if (f == NULL || fread(data, 1, size, f) != size || fgetc(f) != EOF) {
    fprintf(stderr, "cannot read %zu bytes from %s\n", size, path);
    exit(3);
  }
  fclose(f);
}

static void write_file(const char* path, const void* data, size_t size) {
  FILE* f = fopen(path, "wb");
  if (f == NULL || fwrite(data, 1, size, f) != size) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(3);
  }
  fclose(f);
}

int main(int argc, char** argv) {
  static const size_t input_sizes[] = {@INPUT_SIZES@};
  static const size_t output_sizes[] = {@OUTPUT_SIZES@};
  enum { NUM_INPUTS = @NUM_INPUTS@, NUM_OUTPUTS = @NUM_OUTPUTS@ };
  void* input_data[NUM_INPUTS];
  void* first_outputs[NUM_OUTPUTS];
  int run, i;
  if (argc != 1 + NUM_INPUTS + NUM_OUTPUTS) {
    fprintf(stderr, "usage: %s INPUT_FILES... OUTPUT_FILES...\n", argv[0]);
    return 2;
  }
  for (i = 0; i < NUM_INPUTS; ++i) {
    input_data[i] = allocate(input_sizes[i], 16);
    read_file(argv[1 + i], input_data[i], input_sizes[i]);
  }
@SETUP@
  /* Run twice: the second run must give the same bytes (no state carried between runs). */
  for (run = 0; run < 2; ++run) {
    int32_t status;
    void* in_ptrs[NUM_INPUTS];
    void* out_ptrs[NUM_OUTPUTS];
@BIND@
    /* Garbage in the outputs first: with --use-workspace-io an output may share bytes with an
       input whose lifetime ends before the output is written. */
    for (i = 0; i < NUM_OUTPUTS; ++i) memset(out_ptrs[i], 0xA5, output_sizes[i]);
    for (i = 0; i < NUM_INPUTS; ++i) memcpy(in_ptrs[i], input_data[i], input_sizes[i]);
    status = @RUN@;
    if (status != 0) {
      fprintf(stderr, "tvmgen_@M@_run returned %d\n", (int)status);
      return 1;
    }
    for (i = 0; i < NUM_OUTPUTS; ++i) {
      if (run == 0) {
        first_outputs[i] = allocate(output_sizes[i], 16);
        memcpy(first_outputs[i], out_ptrs[i], output_sizes[i]);
      } else if (memcmp(first_outputs[i], out_ptrs[i], output_sizes[i]) != 0) {
        fprintf(stderr, "output %d differs between two runs\n", i);
        return 1;
      }
    }
    if (run == 1) {
      for (i = 0; i < NUM_OUTPUTS; ++i) write_file(argv[1 + NUM_INPUTS + i], out_ptrs[i], output_sizes[i]);
    }
  }
  return 0;
}
"""


def _driver(module: str, inputs: list[_Tensor], outputs: list[_Tensor], pools: list[str], workspace_io: bool, alignment: int) -> str:
    P, M = f"tvmgen_{module}", f"TVMGEN_{module.upper()}"
    setup = []
    if pools:
        setup.append(f"  struct {P}_workspace_pools pools;")
        for pool in pools:
            setup.append(f"  pools.{pool} = allocate({M}_{pool.upper()}_WORKSPACE_POOL_SIZE, {alignment});")
    pools_arg = "&pools" if pools else ""
    bind = []
    if workspace_io:
        bind.append(f"    struct {P}_inputs in = {P}_map_inputs({pools_arg});")
        bind.append(f"    struct {P}_outputs out = {P}_map_outputs({pools_arg});")
        run = f"{P}_run({pools_arg})"
    else:
        setup.append(f"  struct {P}_inputs in;")
        setup.append(f"  struct {P}_outputs out;")
        for t in inputs:
            setup.append(f"  in.{t.c_name} = allocate({M}_{t.c_name.upper()}_SIZE, 16);")
        for t in outputs:
            setup.append(f"  out.{t.c_name} = allocate({M}_{t.c_name.upper()}_SIZE, 16);")
        run = f"{P}_run(&in, &out{', &pools' if pools else ''})"
    bind += [f"    in_ptrs[{i}] = in.{t.c_name};" for i, t in enumerate(inputs)]
    bind += [f"    out_ptrs[{i}] = out.{t.c_name};" for i, t in enumerate(outputs)]
    return (
        _DRIVER.replace("@M@", module)
        .replace("@INPUT_SIZES@", ", ".join(str(t.size) for t in inputs))
        .replace("@OUTPUT_SIZES@", ", ".join(str(t.size) for t in outputs))
        .replace("@NUM_INPUTS@", str(len(inputs)))
        .replace("@NUM_OUTPUTS@", str(len(outputs)))
        .replace("@SETUP@", "\n".join(setup))
        .replace("@BIND@", "\n".join(bind))
        .replace("@RUN@", run)
    )
