"""Hermeticity and remote-cache check of rules_microtvm (run by .ci/run).

    ./tools/bazel run //tests/hermetic:check            # add -- --keep to keep the temp dir

What it proves, on the demo firmware for two boards (and the model library it contains):
  1. Two clones of the checkout in different directories, built with separate output bases
     (and different USER names), write byte-identical files: images, maps, size and memory
     reports, the MLF archive and metadata.json, the generated C, objects and archives. No file
     contains a path of either build, a user or host name or today's date, and the archives
     (MLF tar, ar) record no times or owners.
  2. A real HTTP remote cache (nginx with WebDAV PUT on loopback) filled by the build of clone
     one serves EVERY cacheable action of a build of clone two from an empty output base. The
     hit counts are printed; a miss is named (mnemonic, target, output) with what differed.

It runs Bazel itself (so it is a `bazel run` target, not a test) where Bazel runs: inside
./tools/bazel's build root, which has git, nginx and python3. It takes a few minutes.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import execlog
import http_cache
import outputs

BOARDS = ("stm32f746g_disco", "mps2_an386")
MODEL = "kws"
TARGETS = [f"//examples/kws:{MODEL}"] + [f"//examples/kws:kws_fw_{board}" for board in BOARDS]

# Package-relative outputs that must exist (in some configuration) for the comparison to mean
# anything.
REQUIRED_OUTPUTS = [
    f"examples/kws/kws_fw_{board}.{extension}"
    for board in BOARDS
    for extension in ("elf", "bin", "hex", "map", "size.txt")
] + [
    f"examples/kws/{MODEL}.tar",
    f"examples/kws/{MODEL}.memory.txt",
    f"examples/kws/{MODEL}.mlf/metadata.json",
    f"examples/kws/{MODEL}.mlf/include/tvmgen_{MODEL}.h",
    f"examples/kws/{MODEL}.mlf/src/{MODEL}_lib0.c",
    f"examples/kws/{MODEL}.mlf/src/{MODEL}_lib1.c",
    f"examples/kws/{MODEL}.mlf/src/{MODEL}_constants.h",
    f"examples/kws/_objs/{MODEL}/{MODEL}_lib0.o",
]

# Environment variables passed on to Bazel (identical for every build; the rest is dropped so
# that nothing of the `bazel run` that started us leaks into the builds).
_PASSED_ENVIRONMENT = (
    "HOME", "PATH", "TERM", "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY",
    "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL",
)


class CheckFailed(Exception):
    """The outputs are not hermetic or not served from the cache; the message says what."""


def say(message: str = "") -> None:
    print(message, flush=True)


@dataclass
class Build:
    """One Bazel build of TARGETS in a checkout with its own output base."""

    name: str
    checkout: Path
    output_base: Path
    user: str
    work: Path

    def startup_options(self) -> list[str]:
        return [
            f"--output_base={self.output_base}",
            f"--output_user_root={self.work / 'user_root'}",
            "--max_idle_secs=120",  # a server left behind by an interrupted check goes away
        ]

    def environment(self) -> dict[str, str]:
        environment = {name: os.environ[name] for name in _PASSED_ENVIRONMENT if name in os.environ}
        environment.update(LANG="C.UTF-8", USER=self.user, LOGNAME=self.user)
        return environment

    def bazel(self, bazel: str, command: list[str], check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [bazel, *self.startup_options(), *command],
            cwd=self.checkout,
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=check,
        )


def run_build(bazel: str, build: Build, extra_flags: list[str]) -> tuple[str, Path]:
    """Builds TARGETS; returns Bazel's output and the bazel-out directory."""
    started = time.monotonic()
    flags = ["--color=no", "--curses=no", "--show_progress_rate_limit=60", *extra_flags]
    result = build.bazel(bazel, ["build", *flags, *TARGETS], check=False)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.splitlines()[-60:])
        raise CheckFailed(f"the build of {build.name} failed (exit code {result.returncode}):\n{tail}")
    summary = execlog.parse_summary(result.stderr)
    line = (
        f"{summary[0]} processes: " + ", ".join(f"{count} {runner}" for runner, count in summary[1].items())
        if summary else "no process summary"
    )
    say(f"   built in {time.monotonic() - started:.0f} s ({line})")
    output_path = build.bazel(bazel, ["info", "output_path"]).stdout.strip()
    return result.stderr, Path(output_path)


def clone(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["git", "-c", "safe.directory=*", "clone", "--quiet", str(source), str(destination)],
        check=True,
    )


def describe_source(source: Path) -> None:
    def git(*arguments: str) -> str:
        return subprocess.run(
            ["git", "-c", "safe.directory=*", "-C", str(source), *arguments],
            capture_output=True, text=True, check=True,
        ).stdout.strip()

    say(f"source: {source} at {git('rev-parse', '--short', 'HEAD')} ({git('log', '-1', '--format=%s')[:70]})")
    if git("status", "--porcelain", "--untracked-files=no"):
        say("note: the checkout has uncommitted changes; the clones (and this check) use its HEAD commit")


def forbidden_strings(work: Path, source: Path, builds: list[Build]) -> dict[str, str]:
    """Strings that must appear in no output: {text: description}."""
    forbidden = {
        str(work): "the check's temporary directory (checkouts, output bases)",
        str(source): "the path of the source checkout",
        "/proc/self/cwd": "an unmapped /proc/self/cwd (the -ffile-prefix-map did not apply)",
    }
    for build in builds:
        forbidden[str(build.checkout)] = f"the checkout path of {build.name}"
        forbidden[str(build.output_base)] = f"the output base of {build.name}"
        forbidden[build.user] = f"the user name of {build.name}"
    home = os.environ.get("HOME", "")
    if len(home) > 1:
        forbidden[home + "/"] = "the home directory"
    host = socket.gethostname()
    if len(host) >= 4:  # shorter names occur by chance in binary data
        forbidden[host] = "the host name"
    else:
        say(f"   (host name {host!r} is too short to search for)")
    for moment in (time.localtime(), time.gmtime()):
        forbidden[time.strftime("%Y-%m-%d", moment)] = "today's date (ISO)"
        forbidden[time.strftime("%b %e %Y", moment)] = "today's date (__DATE__ format)"
    return forbidden


def check_identical(
    first_name: str, first: dict[str, Path], second_name: str, second: dict[str, Path],
    may_lack: tuple[str, ...] = (),
) -> None:
    """Fails unless both builds wrote the same files with the same bytes (the second build may
    lack files ending in `may_lack`)."""
    comparison = outputs.compare(first, second)
    comparison.only_first = [path for path in comparison.only_first if not path.endswith(may_lack)]
    if comparison.identical:
        return
    lines = [f"the builds of {first_name} and {second_name} differ:"]
    lines += [f"  only in {first_name}: {path}" for path in comparison.only_first[:20]]
    lines += [f"  only in {second_name}: {path}" for path in comparison.only_second[:20]]
    lines += [f"  DIFFERENT: {path}" for path in comparison.different]
    lines += ["", "details:"] + ["  " + line for line in comparison.details[:120]]
    lines.append("(for an .o or .elf, compare `readelf --debug-dump=info` of both: paths in DWARF)")
    raise CheckFailed("\n".join(lines))


def check_toolchain_constraints(bazel: str, build: Build) -> None:
    """Remote execution picks an executor by the toolchains' exec_compatible_with: all of ours
    must declare it (an empty list would let Bazel send an Arm compile to any executor)."""
    xml = build.bazel(bazel, ["query", "--output=xml", "kind('toolchain rule', //toolchains:all)"]).stdout
    toolchains = {}
    for rule in ElementTree.fromstring(xml).iter("rule"):
        if rule.get("class") != "toolchain":
            continue
        constraints = [
            label.get("value", "")
            for attribute in rule.iter("list")
            if attribute.get("name") == "exec_compatible_with"
            for label in attribute.iter("label")
        ]
        toolchains[rule.get("name", "?")] = constraints
    unconstrained = sorted(name for name, constraints in toolchains.items() if not constraints)
    if not toolchains or unconstrained:
        raise CheckFailed("toolchains without exec_compatible_with: " + (", ".join(unconstrained) or "(none found)"))
    declared = sorted({value for constraints in toolchains.values() for value in constraints})
    say(f"   all {len(toolchains)} toolchains in //toolchains declare exec_compatible_with ({', '.join(declared)})")


def check_cache_hits(first_log: Path, second_log: Path, second_output: str) -> None:
    first = execlog.parse_execution_log(first_log.read_text())
    second = execlog.parse_execution_log(second_log.read_text())
    cacheable = [spawn for spawn in second if spawn.remote_cacheable]
    missed = execlog.misses(second)
    say("   remote cache hits of the second build, by mnemonic:")
    for mnemonic, hits, total in execlog.hits_by_mnemonic(second):
        say(f"     {mnemonic:<24} {hits:>4} / {total:<4}")
    say(f"   total: {len(cacheable) - len(missed)} of {len(cacheable)} cacheable actions were remote cache hits")
    not_cacheable = [spawn for spawn in second if not spawn.remote_cacheable]
    for spawn in not_cacheable:
        say(f"   (not remotely cacheable, so not counted: {spawn.mnemonic} {spawn.key_output})")
    summary = execlog.parse_summary(second_output)
    if summary is None:
        raise CheckFailed("Bazel printed no 'N processes: ...' summary for the second build")
    total, runners = summary
    say(f"   Bazel's summary: {total} processes: "
        + ", ".join(f"{count} {runner}" for runner, count in runners.items()))
    if not cacheable:
        raise CheckFailed("the second build's execution log lists no cacheable action: nothing was checked")
    executed = execlog.uncached_process_runners(runners)
    if missed or executed:
        lines = [f"{len(missed)} cacheable actions of the second build were not remote cache hits"
                 f" (Bazel ran processes: {executed or 'none'}):"]
        for spawn in missed:
            lines.append(f"  MISS {spawn.mnemonic} {spawn.target} -> {spawn.key_output} (ran: {spawn.runner})")
            lines += ["       " + reason for reason in execlog.explain_miss(spawn, first)]
        raise CheckFailed("\n".join(lines))


def remove_tree(path: Path) -> None:
    """Deletes a directory, also where Bazel made directories read-only (output bases)."""
    for directory, subdirectories, _ in os.walk(path):
        for name in [directory] + [os.path.join(directory, sub) for sub in subdirectories]:
            if not os.path.islink(name):
                os.chmod(name, os.stat(name).st_mode | stat.S_IRWXU)
    shutil.rmtree(path)


def shut_down(bazel: str, builds: list[Build]) -> None:
    for build in builds:
        if build.output_base.exists():
            build.bazel(bazel, ["shutdown"], check=False)


def check(bazel: str, nginx: str, source: Path, work: Path, builds: list[Build]) -> None:
    """The whole check (see the module docstring); appends each Build to `builds` before
    starting it, so that the caller can shut their servers down whatever happens."""
    one_dir = work / "one" / "rules_microtvm"
    two_dir = work / "checkout-two" / "nested" / "rules_microtvm"  # another depth and length
    first = Build("checkout one", one_dir, work / "ob-one", "hermetic-user-one", work)
    second = Build("checkout two", two_dir, work / "output-base-of-checkout-two", "hermetic-user-two", work)
    third = Build("checkout two from the cache", two_dir, work / "ob-three-empty", "hermetic-user-three", work)
    builds += [first, second, third]

    say(f"[1/5] cloning into {one_dir} and {two_dir}")
    clone(source, one_dir)
    clone(source, two_dir)

    cache_root = work / "http-cache"
    with http_cache.running_cache(nginx, cache_root) as cache_url:
        say(f"[2/5] nginx serves an empty HTTP cache (WebDAV PUT) at {cache_url}")
        first_log, third_log = work / "one.exec.json", work / "three.exec.json"
        say(f"[3/5] building {' '.join(TARGETS)}")
        say(f"   in {first.name}, empty output base, uploading to {cache_url}")
        _, first_out = run_build(bazel, first, [f"--remote_cache={cache_url}", f"--execution_log_json_file={first_log}"])
        check_toolchain_constraints(bazel, first)
        stored = http_cache.stored_entries(cache_root)
        say(f"   the cache now holds {stored['ac'][0]} action results and {stored['cas'][0]} blobs "
            f"({stored['cas'][1] // 1024} KiB)")
        say(f"   in {second.name}, empty output base, no cache")
        _, second_out = run_build(bazel, second, [])

        say("[4/5] comparing the two builds byte for byte")
        first_files, second_files = outputs.collect(first_out), outputs.collect(second_out)
        absent = outputs.missing(first_files, REQUIRED_OUTPUTS)
        if absent:
            raise CheckFailed("expected outputs were not built: " + ", ".join(absent))
        check_identical(first.name, first_files, second.name, second_files)
        for kind, count, size in outputs.summarize(first_files):
            say(f"   identical: {count:>3} {kind} ({size // 1024} KiB)")
        problems = outputs.find_leaks(first_files, forbidden_strings(work, source, builds))
        problems += outputs.archive_problems(first_files)
        if problems:
            raise CheckFailed("outputs carry machine-specific data:\n  " + "\n  ".join(problems))
        say(f"   no paths, user or host names or dates in {len(first_files)} files; "
            "MLF tar and ar archives record no times or owners")

        say(f"[5/5] building in {second.name} again from an EMPTY output base with the remote cache")
        third_output, third_out = run_build(
            bazel, third,
            [f"--remote_cache={cache_url}", "--remote_download_all", f"--execution_log_json_file={third_log}"],
        )
        check_cache_hits(first_log, third_log, third_output)
        # A cache hit hands Bazel the compiler's .d files in memory only: they are not written.
        check_identical(first.name, first_files, third.name, outputs.collect(third_out), may_lack=(".d",))
        say("   the files downloaded from the cache are identical to the first build's")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="the checkout to clone (default: the workspace)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    source = args.source or Path(os.environ.get("BUILD_WORKSPACE_DIRECTORY") or os.getcwd())
    tools = {name: shutil.which(name) for name in ("bazel", "git", "nginx")}
    absent = [name for name, path in tools.items() if not path]
    if absent:
        say(f"error: {', '.join(absent)} not found on PATH. This check runs where Bazel runs and "
            "needs bazel, git and nginx (with WebDAV) there; ./tools/bazel's build root has them.")
        return 2
    # SIGTERM (e.g. a CI timeout) unwinds like Ctrl-C, so nginx and Bazel servers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    try:
        describe_source(source)
    except subprocess.CalledProcessError:
        say(f"error: {source} is not a git checkout (pass --source CHECKOUT)")
        return 2
    work = Path(tempfile.mkdtemp(prefix="rules_microtvm_hermetic."))
    builds: list[Build] = []
    passed = False
    try:
        check(tools["bazel"], tools["nginx"], source, work, builds)
        passed = True
    except CheckFailed as failure:
        say(f"\nFAILED: {failure}")
    except subprocess.CalledProcessError as error:
        output = (error.stderr or "").strip()[-3000:] if isinstance(error.stderr, str) else ""
        say(f"\nFAILED: {' '.join(map(str, error.cmd))} exited with {error.returncode}\n{output}")
    except http_cache.CacheError as error:
        say(f"\nFAILED: {error}")
    finally:
        shut_down(tools["bazel"], builds)
        if args.keep or not passed:
            say(f"(kept {work} for inspection; delete it when done)")
        else:
            remove_tree(work)
    if passed:
        say(f"\nPASSED in {time.monotonic() - started:.0f} s: identical bytes across checkouts, "
            "every cacheable action of the second build served by the remote cache")
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
