"""Smoke test of the benchmark report: one small model (//models:sine.tflite), built by Bazel for
both boards, measured end to end by the report program, whose table goes to the test's own
temporary directory (never the source tree)."""
import json
import os
import sys
import unittest
from pathlib import Path

import bench_main
import report
from mapfile import classify, helpers, input_sections, origin_of

_MAP = """\
Archive member included to satisfy reference by file (symbol)

bazel-out/x/bin/runtime/libmtvm.a(conv.o)
                              bazel-out/x/bin/benchmarks/libm_model.a(m_lib1.o) (mtvm_conv2d_s8)
/usr/lib/libgcc.a(_arm_muldf3.o)
                              bazel-out/x/bin/runtime/libmtvm.a(conv.o) (__aeabi_dmul)
/usr/lib/libgcc.a(_arm_helper.o)
                              /usr/lib/libgcc.a(_arm_muldf3.o) (__helper)
/usr/lib/libc_nano.a(lib_a-printf.o)
                              bazel-out/x/bin/benchmarks/_objs/m_bench/m_bench_main.o (printf)

Discarded input sections

 .text.unused   0x00000000       0x40 bazel-out/x/bin/runtime/_objs/mtvm/conv.o

Linker script and memory map

.text           0x00000000      0x300
 .text.mtvm_conv2d_s8
                0x00000000      0x100 bazel-out/x/bin/runtime/libmtvm.a(conv.o)
                0x00000000                mtvm_conv2d_s8
 .text.tvmgen_m_run
                0x00000100       0x80 bazel-out/x/bin/benchmarks/_objs/m_model/m_lib1.o
 .rodata.tvm    0x00000180       0x60 bazel-out/x/bin/benchmarks/libm_model.a(m_lib0.o)
 *fill*         0x000001e0       0x10 
 .text.main     0x000001f0       0x20 bazel-out/x/bin/benchmarks/_objs/m_bench/m_bench_main.o
 .text          0x00000210       0x30 /usr/lib/libgcc.a(_arm_muldf3.o)
 .text          0x00000240       0x10 /usr/lib/libgcc.a(_arm_helper.o)
 .text.printf   0x00000250       0x40 /usr/lib/libc_nano.a(lib_a-printf.o)
.data           0x20000000        0x8 load address 0x00000300
 .data.impure   0x20000000        0x8 /usr/lib/arm-none-eabi/newlib/libc_nano.a(lib_a-impure.o)
.bss            0x20000008      0x410
 .bss.noinit.tvm
                0x20000010      0x400 bazel-out/x/bin/benchmarks/_objs/m_model/m_lib0.o
"""


class MapFileTest(unittest.TestCase):
    def test_sizes_by_origin(self):
        library = ["benchmarks/libm_model.a(", "benchmarks/_objs/m_model/"]
        found = helpers(_MAP, lambda source: origin_of(source, library) != "other")
        self.assertEqual(found.members, {"/usr/lib/libgcc.a(_arm_muldf3.o)"})
        self.assertEqual(found.symbols, {"/usr/lib/libgcc.a(_arm_muldf3.o)": ("__aeabi_dmul",)})
        breakdown = classify(input_sections(_MAP), library, found.members)
        self.assertEqual(breakdown.flash, {"weights": 0x60, "generated": 0x80, "runtime": 0x100, "helpers": 0x30,
                                           "other": 0x20 + 0x10 + 0x40 + 0x8})
        self.assertEqual(breakdown.ram, {"workspace": 0x400, "generated": 0, "runtime": 0, "helpers": 0, "other": 0x8})


def _metadata(state_size: int) -> dict:
    tensor = {"name": "x", "c_name": "x", "dtype": "int8"}
    memory = {"workspace_size_bytes": 64, "state_size_bytes": state_size, "alignment": 16,
              "buffers": [{"kind": "state"}] if state_size else []}
    return {"modules": {"m": {"inputs": [tensor], "outputs": [dict(tensor, c_name="y")], "memory": memory}}}


class BenchProgramTest(unittest.TestCase):
    def test_stateless_model_runs_once_after_a_warm_up(self):
        program = bench_main.bench_program(_metadata(0))
        self.assertIn("status = tvmgen_m_run(&inputs, &outputs);", program)
        self.assertNotIn("reset_state", program)
        self.assertNotIn("STATE_SIZE", program)

    def test_stateful_model_runs_a_sequence_from_reset_state(self):
        program = bench_main.bench_program(_metadata(96))
        self.assertIn("static uint8_t state_data[TVMGEN_M_STATE_SIZE] __attribute__((aligned(16)));", program)
        self.assertIn("status = tvmgen_m_run(&inputs, &outputs, &model_state);", program)
        self.assertIn("tvmgen_m_reset_state(&model_state)", program)
        self.assertIn(f"step < {bench_main.STATEFUL_STEPS}u", program)
        self.assertIn("fill_bytes(input0, sizeof(input0), 1u + 16u * step);", program)


class HeliumTableTest(unittest.TestCase):
    def test_cortex_m55_against_cortex_m4f(self):
        from render import helium_rows

        def board(name, instructions):
            return {"board": name, "instructions": instructions, "workspace_bytes": 256, "flash_bytes": 9000,
                    "flash_excluding_weights_bytes": 2000, "golden": {"bit_exact": True, "seeds": 3}}

        models = [
            {"name": "ad01_int8", "boards": [board("mps2_an386", 1000), board("mps3_an547", 300)]},
            {"name": "kws_ref_model", "boards": [board("mps2_an386", 1000), board("mps3_an547", 400)]},
            {"name": "kws", "boards": [board("mps2_an386", 1000), board("mps3_an547", 300)]},  # not MLPerf Tiny
        ]
        rows = helium_rows(models)
        self.assertEqual([r[0] for r in rows], ["ad01_int8", "kws_ref_model"])
        self.assertEqual(rows[0][3:5], ["0.300", "yes"])
        self.assertEqual(rows[1][3:5], ["0.400", "**no**"])


class ReportSmokeTest(unittest.TestCase):
    def test_sine_on_both_boards(self):
        runfiles = Path(os.environ["TEST_SRCDIR"]) / os.environ["TEST_WORKSPACE"]
        output = Path(os.environ["TEST_TMPDIR"]) / "report"
        status = report.main([
            "--manifest", str(runfiles / "benchmarks/sine.json"),
            "--root", str(runfiles),
            "--path-kind", "short_path",
            "--output-dir", str(output),
            "--jobs", "1",
        ])
        self.assertEqual(status, 0)
        results = json.loads((output / "results.json").read_text())
        (sine,) = results["models"]
        self.assertEqual(sine["name"], "sine")
        self.assertEqual(sorted(b["board"] for b in sine["boards"]), ["mps2_an386", "mps2_an500", "mps3_an547"])
        for board in sine["boards"]:
            self.assertGreater(board["instructions"], 100, board)
            self.assertTrue(board["golden"]["bit_exact"], board["golden"])
            self.assertGreater(board["flash_excluding_weights_bytes"], 0)
            self.assertGreater(board["flash_by_origin"]["weights"], 0)
            self.assertGreater(board["flash_bytes"], board["flash_excluding_weights_bytes"])
            self.assertEqual(board["workspace_bytes"], board["ram_by_origin"]["workspace"])
            self.assertEqual(board["state_bytes"], 0)
        self.assertIn("| sine | mps2_an386", (output / "RESULTS.md").read_text())


if __name__ == "__main__":
    sys.exit(unittest.main())
