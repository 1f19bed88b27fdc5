"""The static memory plan: every buffer the generated code uses, where it lives and when.

Buffers are:
- one per storage group of non-constant tensors (see passes/aliases.py): the group's home
  tensor owns it and it is live from the first write to the last read of any tensor in the group;
- one scratch buffer per operator whose lowering asks for scratch, live during that operator.
Graph inputs and outputs are normally the caller's buffers (outside the pools, `pool` None);
with `use_workspace_io` they are planned in the pools too: an input from the start until its
last read, an output from its write until the end.

The plan is the single source of truth for codegen, metadata.json and `microtvmc inspect`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

from ..ir import Graph
from ..passes import Storage
from .planner import BufferRequest, Placement, Planner, PoolSpec, align_up, greedy_by_size, peak_live_bytes

INPUT, OUTPUT, INTERMEDIATE, SCRATCH = "input", "output", "intermediate", "scratch"


@dataclass(frozen=True)
class PlannedBuffer:
    key: str  # "t<tensor>" for tensors, "scratch<op index>" for scratch
    kind: str  # INPUT, OUTPUT, INTERMEDIATE or SCRATCH
    size: int
    start: int  # operator steps, inclusive
    end: int
    pool: Optional[str]  # None: a caller-owned I/O buffer outside the pools
    offset: int
    tensor: Optional[int] = None  # the home tensor (tensor buffers)
    op: Optional[int] = None  # the operator index (scratch buffers)


@dataclass(frozen=True)
class Pool:
    name: str
    size: int
    external: bool  # True: the caller passes it (--workspace-pools); False: a static array


@dataclass(frozen=True)
class MemoryPlan:
    pools: tuple[Pool, ...]
    buffers: tuple[PlannedBuffer, ...]  # sorted by key kind then index, for stable output
    alignment: int
    peak_live_bytes: int  # lower bound for the pool size over the pooled buffers
    home: Mapping[int, int]  # tensor -> home tensor (from passes.resolve_storage)

    @property
    def workspace_size(self) -> int:
        return sum(pool.size for pool in self.pools)

    def tensor_buffer(self, tensor: int) -> PlannedBuffer:
        return self._by_key()[f"t{self.home[tensor]}"]

    def scratch_buffer(self, op_index: int) -> Optional[PlannedBuffer]:
        return self._by_key().get(f"scratch{op_index}")

    def _by_key(self) -> dict[str, PlannedBuffer]:
        return {b.key: b for b in self.buffers}


def plan_memory(
    graph: Graph,
    storage: Storage,
    scratch_bytes: Mapping[int, int],
    *,
    pools: Sequence[PoolSpec] = (PoolSpec("default"),),
    external_pools: bool = False,
    use_workspace_io: bool = False,
    alignment: int = 16,
    planner: Planner = greedy_by_size,
) -> MemoryPlan:
    """Plan `graph`. `scratch_bytes` maps operator index -> scratch size (0 or absent: none)."""
    if alignment < 1 or alignment & (alignment - 1):
        raise ValueError(f"alignment must be a power of two, got {alignment}")
    requests, kinds = _requests(graph, storage, scratch_bytes, use_workspace_io)
    pooled = [r for r in requests if kinds[r.key] in (INTERMEDIATE, SCRATCH) or use_workspace_io]
    placements: dict[str, Placement] = planner(pooled, list(pools), alignment)
    pool_sizes = {p.name: 0 for p in pools}
    for request in pooled:
        place = placements[request.key]
        pool_sizes[place.pool] = max(pool_sizes[place.pool], align_up(place.offset + request.size, alignment))

    buffers = []
    for request in requests:
        place = placements.get(request.key)
        kind = kinds[request.key]
        buffers.append(
            PlannedBuffer(
                key=request.key,
                kind=kind,
                size=request.size,
                start=request.start,
                end=request.end,
                pool=place.pool if place else None,
                offset=place.offset if place else 0,
                tensor=int(request.key[1:]) if request.key.startswith("t") else None,
                op=int(request.key[len("scratch"):]) if kind == SCRATCH else None,
            )
        )
    return MemoryPlan(
        pools=tuple(Pool(p.name, pool_sizes[p.name], external_pools) for p in pools),
        buffers=tuple(buffers),
        alignment=alignment,
        peak_live_bytes=peak_live_bytes(pooled),
        home=dict(storage.home),
    )


def _requests(
    graph: Graph, storage: Storage, scratch_bytes: Mapping[int, int], use_workspace_io: bool
) -> tuple[list[BufferRequest], dict[str, str]]:
    """One request per storage group and per scratch buffer, with inclusive step lifetimes."""
    last_step = max(len(graph.operators) - 1, 0)
    first: dict[int, int] = {}
    last: dict[int, int] = {}

    outputs_set = set(graph.outputs)

    def touch(tensor: int, step: int) -> None:
        # Constants live in flash, except a constant graph output, which is copied into its buffer.
        if tensor < 0 or (graph.tensor(tensor).is_constant and tensor not in outputs_set):
            return
        home = storage.home[tensor]
        first[home] = min(first.get(home, step), step)
        last[home] = max(last.get(home, step), step)

    for tensor in graph.inputs:
        touch(tensor, 0)
    for step, op in enumerate(graph.operators):
        for tensor in (*op.inputs, *op.outputs):
            touch(tensor, step)
    for copy in storage.copies:
        if copy.src != copy.dst:
            touch(copy.src, copy.step)
        touch(copy.dst, copy.step)
    for tensor in graph.outputs:
        touch(tensor, last_step)  # the caller reads outputs after the run

    inputs = {storage.home[t] for t in graph.inputs}
    outputs = {storage.home[t] for t in graph.outputs}
    requests, kinds = [], {}
    for home in sorted(first):
        key = f"t{home}"
        kinds[key] = INPUT if home in inputs else OUTPUT if home in outputs else INTERMEDIATE
        requests.append(BufferRequest(key, graph.tensor(home).nbytes, first[home], last[home]))
    for step, op in enumerate(graph.operators):
        size = int(scratch_bytes.get(op.index, 0))
        if size > 0:
            key = f"scratch{op.index}"
            kinds[key] = SCRATCH
            requests.append(BufferRequest(key, size, step, step))
    return requests, kinds
