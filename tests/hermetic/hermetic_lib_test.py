"""Unit tests of the hermetic check's parsing and comparison (no Bazel, no nginx needed).

Runs under `bazel test //tests/hermetic:hermetic_lib_test` and with
`python3 -m pytest tests/hermetic/hermetic_lib_test.py` from the repository root.
"""
from __future__ import annotations

import io
import shutil
import json
import sys
import tarfile
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import execlog  # noqa: E402
import outputs  # noqa: E402


def _spawn(mnemonic: str, output: str, runner: str, hit: bool, cacheable: bool = True, source_hash: str = "aa") -> dict:
    return {
        "commandArgs": ["/usr/bin/arm-none-eabi-gcc", "-c", "x.c", "-o", output],
        "environmentVariables": [{"name": "PWD", "value": "/proc/self/cwd"}],
        "inputs": [{"path": "x.c", "digest": {"hash": source_hash, "sizeBytes": "3"}, "isTool": False}],
        "listedOutputs": [output],
        "remotable": True,
        "cacheable": True,
        "mnemonic": mnemonic,
        "runner": runner,
        "cacheHit": hit,
        "remoteCacheable": cacheable,
        "targetLabel": "//pkg:target",
    }


def _log(*entries: dict) -> str:
    # Bazel writes pretty-printed objects one after another, not a JSON list.
    return "\n".join(json.dumps(entry, indent=2) for entry in entries)


class ExecutionLogTest(unittest.TestCase):
    def test_concatenated_objects_are_all_read(self) -> None:
        spawns = execlog.parse_execution_log(_log(
            _spawn("CppCompile", "a.o", "remote cache hit", True),
            _spawn("CppLink", "a.elf", "processwrapper-sandbox", False),
        ))
        self.assertEqual([spawn.mnemonic for spawn in spawns], ["CppCompile", "CppLink"])

    def test_misses_are_cacheable_spawns_that_ran(self) -> None:
        spawns = execlog.parse_execution_log(_log(
            _spawn("CppCompile", "a.o", "remote cache hit", True),
            _spawn("CppLink", "a.elf", "processwrapper-sandbox", False),
            _spawn("TestRunner", "t.log", "local", False, cacheable=False),
        ))
        self.assertEqual([spawn.key_output for spawn in execlog.misses(spawns)], ["a.elf"])
        self.assertEqual(
            execlog.hits_by_mnemonic(spawns), [("CppCompile", 1, 1), ("CppLink", 0, 1)]
        )

    def test_a_miss_is_explained_by_the_input_that_changed(self) -> None:
        before = execlog.parse_execution_log(_log(_spawn("CppCompile", "a.o", "local", False)))
        after = execlog.parse_execution_log(
            _log(_spawn("CppCompile", "a.o", "local", False, source_hash="bb"))
        )
        self.assertEqual(execlog.explain_miss(after[0], before), ["input x.c: different content"])

    def test_summary_line(self) -> None:
        output = "INFO: Analyzed 3 targets\nINFO: 74 processes: 46 remote cache hit, 28 internal.\n"
        total, runners = execlog.parse_summary(output)
        self.assertEqual(total, 74)
        self.assertEqual(runners, {"remote cache hit": 46, "internal": 28})
        self.assertEqual(execlog.uncached_process_runners(runners), {})
        _, runners = execlog.parse_summary("INFO: 5 processes: 1 internal, 4 processwrapper-sandbox.")
        self.assertEqual(execlog.uncached_process_runners(runners), {"processwrapper-sandbox": 4})


class OutputsTest(unittest.TestCase):
    def setUp(self) -> None:
        self.directory = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.directory)

    def _tree(self, name: str, files: dict[str, bytes]) -> Path:
        root = self.directory / name
        for relative, data in files.items():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_bytes(data)
        return root

    def test_collect_skips_runfiles_and_status_files(self) -> None:
        root = self._tree("out", {
            "cfg/bin/fw.elf": b"elf",
            "cfg/bin/tool.runfiles/_main/x.py": b"",
            "cfg/bin/tool.runfiles_manifest": b"/abs/path",
            "stable-status.txt": b"BUILD_USER me",
        })
        self.assertEqual(list(outputs.collect(root)), ["cfg/bin/fw.elf"])

    def test_compare_names_the_different_file_and_where(self) -> None:
        first = outputs.collect(self._tree("a", {"bin/x.map": b"same\n", "bin/y.txt": b"old\n"}))
        second = outputs.collect(self._tree("b", {"bin/x.map": b"same\n", "bin/y.txt": b"new\n"}))
        comparison = outputs.compare(first, second)
        self.assertFalse(comparison.identical)
        self.assertEqual(comparison.different, ["bin/y.txt"])
        self.assertIn("-old", "\n".join(comparison.details))

    def test_a_param_file_of_an_action_that_ran_in_one_build_only_is_no_difference(self) -> None:
        first = outputs.collect(self._tree("p1", {"bin/m.tar": b"t", "bin/m.tar-0.params": b"compile\n"}))
        second = outputs.collect(self._tree("p2", {"bin/m.tar": b"t"}))
        self.assertTrue(outputs.compare(first, second).identical)
        third = outputs.collect(self._tree("p3", {"bin/m.tar": b"t", "bin/m.tar-0.params": b"other\n"}))
        self.assertEqual(outputs.compare(first, third).different, ["bin/m.tar-0.params"])
        fourth = outputs.collect(self._tree("p4", {"bin/m.tar": b"t", "bin/m.elf": b"e"}))
        self.assertEqual(outputs.compare(first, fourth).only_second, ["bin/m.elf"])

    def test_leaks_and_missing_outputs(self) -> None:
        files = outputs.collect(self._tree("c", {"k8/bin/pkg/a.o": b"\x00/tmp/checkout-one/pkg/a.c\x00"}))
        leaks = outputs.find_leaks(files, {"/tmp/checkout-one": "the checkout path"})
        self.assertEqual(len(leaks), 1)
        self.assertIn("the checkout path", leaks[0])
        self.assertEqual(outputs.missing(files, ["pkg/a.o", "pkg/b.o"]), ["pkg/b.o"])

    def test_tar_with_time_and_owner_is_reported(self) -> None:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            for name, mtime, user in (("./clean.txt", 0, ""), ("./stamped.txt", 1700000000, "alice")):
                member = tarfile.TarInfo(name)
                member.size, member.mtime, member.uname = 1, mtime, user
                archive.addfile(member, io.BytesIO(b"x"))
        files = outputs.collect(self._tree("d", {"bin/model.tar": buffer.getvalue()}))
        problems = outputs.archive_problems(files)
        self.assertEqual(len(problems), 2)
        self.assertTrue(all("stamped.txt" in problem for problem in problems))

    def test_ar_member_with_timestamp_is_reported(self) -> None:
        def member(name: bytes, mtime: bytes) -> bytes:
            header = name.ljust(16) + mtime.ljust(12) + b"0".ljust(6) + b"0".ljust(6)
            return header + b"644".ljust(8) + b"2".ljust(10) + b"`\n" + b"xy"

        archive = b"!<arch>\n" + member(b"a.o/", b"0") + member(b"b.o/", b"1700000000")
        files = outputs.collect(self._tree("e", {"bin/libx.a": archive}))
        problems = outputs.archive_problems(files)
        self.assertEqual(len(problems), 1)
        self.assertIn("b.o/", problems[0])


if __name__ == "__main__":
    unittest.main()
