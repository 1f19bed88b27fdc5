"""Reading what Bazel says about a build's actions: its execution log and its summary line.

`--execution_log_json_file` writes one JSON object per spawn (an action that runs a process),
concatenated without a surrounding list. Actions that run no process (symlinks, file writes,
template expansions) are not in it: Bazel counts them as "internal" in its summary line

    INFO: 74 processes: 46 remote cache hit, 28 internal.

and they are never cached. A spawn whose `remoteCacheable` is true may be stored in and served
from a remote cache; `cacheHit` with runner "remote cache hit" says it was.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterator, Optional

REMOTE_CACHE_HIT = "remote cache hit"
INTERNAL = "internal"


@dataclass(frozen=True)
class Spawn:
    """One process-running action of a build, as the execution log describes it."""

    mnemonic: str
    target: str
    outputs: tuple[str, ...]
    runner: str
    remote_cacheable: bool
    cache_hit: bool
    command: tuple[str, ...]
    environment: tuple[tuple[str, str], ...]
    inputs: tuple[tuple[str, str], ...]  # (path, sha256)

    @property
    def key_output(self) -> str:
        """The output that names the action (the same in every checkout and output base)."""
        main = [path for path in self.outputs if not path.endswith(".d")] or list(self.outputs)
        return main[0] if main else "(no outputs)"

    @property
    def remote_hit(self) -> bool:
        return self.cache_hit and self.runner == REMOTE_CACHE_HIT


def _json_objects(text: str) -> Iterator[dict]:
    decoder = json.JSONDecoder()
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return
        value, position = decoder.raw_decode(text, position)
        yield value


def parse_execution_log(text: str) -> list[Spawn]:
    """The spawns of a `--execution_log_json_file` log."""
    spawns = []
    for entry in _json_objects(text):
        spawns.append(
            Spawn(
                mnemonic=entry.get("mnemonic", "?"),
                target=entry.get("targetLabel", "?"),
                outputs=tuple(entry.get("listedOutputs", [])),
                runner=entry.get("runner", ""),
                remote_cacheable=bool(entry.get("remoteCacheable", False)),
                cache_hit=bool(entry.get("cacheHit", False)),
                command=tuple(entry.get("commandArgs", [])),
                environment=tuple(
                    (variable.get("name", ""), variable.get("value", ""))
                    for variable in entry.get("environmentVariables", [])
                ),
                inputs=tuple(
                    (item.get("path", ""), item.get("digest", {}).get("hash", ""))
                    for item in entry.get("inputs", [])
                ),
            )
        )
    return spawns


_SUMMARY = re.compile(r"^INFO: (\d+) process(?:es)?(?:: (.*?))?\.?$", re.MULTILINE)


def parse_summary(bazel_output: str) -> Optional[tuple[int, dict[str, int]]]:
    """(total, {runner: count}) from Bazel's last "N processes: ..." line, or None."""
    matches = list(_SUMMARY.finditer(bazel_output))
    if not matches:
        return None
    total = int(matches[-1].group(1))
    counts: dict[str, int] = {}
    for part in (matches[-1].group(2) or "").split(", "):
        number, _, runner = part.strip().partition(" ")
        if number.isdigit():
            counts[runner] = int(number)
    return total, counts


def uncached_process_runners(counts: dict[str, int]) -> dict[str, int]:
    """The summary's runners other than remote cache hits and internal actions (e.g. a sandbox)."""
    return {
        runner: count
        for runner, count in counts.items()
        if runner not in (REMOTE_CACHE_HIT, INTERNAL) and count
    }


def misses(spawns: list[Spawn]) -> list[Spawn]:
    """Spawns that could have come from the remote cache but were executed instead."""
    return [spawn for spawn in spawns if spawn.remote_cacheable and not spawn.remote_hit]


def hits_by_mnemonic(spawns: list[Spawn]) -> list[tuple[str, int, int]]:
    """(mnemonic, remote cache hits, remote-cacheable spawns), sorted by mnemonic."""
    cacheable = Counter(spawn.mnemonic for spawn in spawns if spawn.remote_cacheable)
    hits = Counter(spawn.mnemonic for spawn in spawns if spawn.remote_cacheable and spawn.remote_hit)
    return [(mnemonic, hits[mnemonic], cacheable[mnemonic]) for mnemonic in sorted(cacheable)]


def explain_miss(miss: Spawn, earlier: list[Spawn], limit: int = 8) -> list[str]:
    """Why `miss` did not match the action with the same output in an earlier build: the
    differences in command line, environment and input digests (what makes up the cache key)."""
    same_output = [spawn for spawn in earlier if spawn.key_output == miss.key_output]
    if not same_output:
        return ["the first build ran no action writing this output"]
    before = same_output[0]
    reasons = []
    if before.command != miss.command:
        old, new = before.command, miss.command
        for index in range(max(len(old), len(new))):
            a = old[index] if index < len(old) else "(none)"
            b = new[index] if index < len(new) else "(none)"
            if a != b:
                reasons.append(f"argument {index}: {a!r} -> {b!r}")
    old_env, new_env = dict(before.environment), dict(miss.environment)
    for name in sorted(set(old_env) | set(new_env)):
        if old_env.get(name) != new_env.get(name):
            reasons.append(f"environment {name}: {old_env.get(name)!r} -> {new_env.get(name)!r}")
    old_inputs, new_inputs = dict(before.inputs), dict(miss.inputs)
    for path in sorted(set(old_inputs) | set(new_inputs)):
        if old_inputs.get(path) != new_inputs.get(path):
            if path not in old_inputs:
                reasons.append(f"input {path}: only in the second build")
            elif path not in new_inputs:
                reasons.append(f"input {path}: only in the first build")
            else:
                reasons.append(f"input {path}: different content")
    if not reasons:
        reasons.append("same command, environment and inputs: was the first build's result uploaded?")
    if len(reasons) > limit:
        reasons = reasons[:limit] + [f"... and {len(reasons) - limit} more differences"]
    return reasons
