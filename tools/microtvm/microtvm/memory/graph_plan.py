"""The static memory plan: every buffer the generated code uses, where it lives and when.

Buffers are:
- one per storage group of non-constant tensors (see passes/aliases.py): the group's home
  tensor owns it and it is live from the first write to the last read of any tensor in the group;
- one scratch buffer per operator whose lowering asks for scratch, live during that operator;
- one state buffer per variable tensor (TFLite's is_variable: LSTM/SVDF state) that an operator
  uses, in the state pool (STATE_POOL), which the application owns and keeps between runs. State
  buffers lie one after another in tensor order and never share a byte with anything, so the
  workspace pools stay free to be shared between models (and between runs);
- in the state pool too, after those: one buffer per resource variable (key "var<k>"), one
  byte per CALL_ONCE flag (key "once<op index>") and one buffer per operator that owns state
  (key "op<op index>", OpLowering.state_init), see passes/variables.py.
Graph inputs and outputs are normally the caller's buffers (outside the pools, `pool` None);
with `use_workspace_io` they are planned in the pools too: an input from the start until its
last read, an output from its write until the end.

In-place execution: when an operator's lowering declares that its output may overlap an input
(OpLowering.in_place_inputs) and that input's buffer is dead after the operator, the output's
request carries the allowance and the planner may let the two share bytes. Everything else
that is live at the same step never shares a byte; check_placements verifies every plan.

The plan is the single source of truth for codegen, metadata.json and `microtvmc inspect`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

from ..errors import UserError
from ..ir import RESOURCE, Graph
from ..passes import InPlace, Storage
from ..passes.timeline import timeline
from ..passes.variables import model_state, once_key
from .placement import (
    BufferRequest,
    Placement,
    Planner,
    PoolSpec,
    align_up,
    allowance,
    lower_bound_bytes,
    peak_live_bytes,
)
from .search import hill_climb

INPUT, OUTPUT, INTERMEDIATE, SCRATCH, STATE = "input", "output", "intermediate", "scratch", "state"
STATE_POOL = "state"  # PlannedBuffer.pool of state buffers; not one of MemoryPlan.pools


@dataclass(frozen=True)
class PlannedBuffer:
    key: str  # "t<tensor>" for tensors, "scratch<op index>" for scratch
    kind: str  # INPUT, OUTPUT, INTERMEDIATE, SCRATCH or STATE
    size: int
    start: int  # operator steps, inclusive
    end: int
    pool: Optional[str]  # None: a caller-owned I/O buffer outside the pools; STATE_POOL: state
    offset: int
    tensor: Optional[int] = None  # the home tensor (tensor buffers)
    op: Optional[int] = None  # the operator index (scratch buffers)
    in_place_of: Optional[str] = None  # key of the input buffer this one overlaps (in-place), if any


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
    peak_live_bytes: int  # largest sum of sizes of pooled buffers live at one step
    home: Mapping[int, int]  # tensor -> home tensor (from passes.resolve_storage)
    # No placement of these buffers can use less (in total over the pools): the peak of live
    # bytes less what in-place operators may share (equal to it without in-place candidates).
    lower_bound_bytes: int = 0
    # Bytes of the state pool (variable tensors, aligned); 0 for a stateless model. Not part of
    # workspace_size: the state persists between runs, the workspace does not.
    state_size: int = 0

    @property
    def workspace_size(self) -> int:
        return sum(pool.size for pool in self.pools)

    @property
    def state_buffers(self) -> tuple[PlannedBuffer, ...]:
        return tuple(b for b in self.buffers if b.kind == STATE)

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
    planner: Planner = hill_climb,
    in_place: bool = True,
) -> MemoryPlan:
    """Plan `graph`. `scratch_bytes` maps operator index -> scratch size (0 or absent: none).
    `in_place` False: no output shares bytes with an input (for comparison and debugging); True:
    those of `storage.in_place` (passes/inplace.py) may."""
    if alignment < 1 or alignment & (alignment - 1):
        raise ValueError(f"alignment must be a power of two, got {alignment}")
    graph = timeline(graph)  # every subgraph's operators on one line; steps count there
    requests, kinds = _requests(graph, storage, scratch_bytes, use_workspace_io)
    state = {r.key: r for r in requests if kinds[r.key] == STATE}
    if state and any(p.name == STATE_POOL for p in pools):
        raise UserError(
            f"workspace pool name {STATE_POOL!r} is reserved for the state of stateful models "
            "(this model has variable tensors); choose another pool name"
        )
    state_offsets, state_size = _place_state(list(state.values()), alignment)
    pooled = [
        r for r in requests if r.key not in state and (kinds[r.key] in (INTERMEDIATE, SCRATCH) or use_workspace_io)
    ]
    if in_place:
        pooled = _allow_in_place(pooled, kinds, storage.in_place, storage)
        requests = [next((p for p in pooled if p.key == r.key), r) for r in requests]
    placements: dict[str, Placement] = planner(pooled, list(pools), alignment)
    check_placements(pooled, placements, list(pools), alignment)
    pool_sizes = {p.name: 0 for p in pools}
    for request in pooled:
        place = placements[request.key]
        pool_sizes[place.pool] = max(pool_sizes[place.pool], align_up(place.offset + request.size, alignment))

    buffers = []
    for key, offset in state_offsets.items():
        placements[key] = Placement(STATE_POOL, offset)
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
                in_place_of=_shared_with(request, pooled, placements),
            )
        )
    return MemoryPlan(
        pools=tuple(Pool(p.name, pool_sizes[p.name], external_pools) for p in pools),
        buffers=tuple(buffers),
        alignment=alignment,
        peak_live_bytes=peak_live_bytes(pooled),
        home=dict(storage.home),
        lower_bound_bytes=lower_bound_bytes(pooled),
        state_size=state_size,
    )


def _place_state(requests: Sequence[BufferRequest], alignment: int) -> tuple[dict[str, int], int]:
    """State buffers one after another (in tensor order), each aligned: they are all live all the
    time, so any other packing is no smaller."""
    offsets, end = {}, 0
    for request in requests:
        offsets[request.key] = end
        end = align_up(end + request.size, alignment)
    return offsets, end


def _allow_in_place(
    pooled: list[BufferRequest], kinds: Mapping[str, str], candidates: Sequence[InPlace], storage: Storage
) -> list[BufferRequest]:
    """Attach each usable in-place candidate to its output's request.

    Usable when both buffers are in a pool, the output's buffer is first written at that step and
    the input's buffer is not needed afterwards: its last read is that step, it is not a graph
    output (the caller reads those after the run) and no output copy reads it after the operator."""
    by_key = {r.key: r for r in pooled}
    copied = {(c.step, storage.home[c.src]) for c in storage.copies}
    allowed: dict[str, list[tuple[str, int]]] = {}
    for c in candidates:
        out, inp = by_key.get(f"t{c.output}"), by_key.get(f"t{c.input}")
        if out is None or inp is None or kinds[inp.key] == OUTPUT or (c.step, c.input) in copied:
            continue
        if out.start == c.step and inp.end == c.step:
            allowed.setdefault(out.key, []).append((inp.key, c.max_delta))
    return [dataclasses.replace(r, may_overlap=tuple(allowed[r.key])) if r.key in allowed else r for r in pooled]


def _shared_with(request: BufferRequest, pooled: Sequence[BufferRequest], placements: Mapping[str, Placement]) -> Optional[str]:
    """The input buffer that `request` overlaps in the plan (in-place), if any."""
    place = placements.get(request.key)
    for key, _ in request.may_overlap:
        other = next(r for r in pooled if r.key == key)
        there = placements[key]
        if there.pool == place.pool and _intersect(place.offset, request.size, there.offset, other.size):
            return key
    return None


def _intersect(a: int, a_size: int, b: int, b_size: int) -> bool:
    return a_size > 0 and b_size > 0 and a < b + b_size and b < a + a_size


def check_placements(
    requests: Sequence[BufferRequest], placements: Mapping[str, Placement], pools: Sequence[PoolSpec], alignment: int
) -> None:
    """Raise AssertionError unless every buffer is placed in a known pool, aligned, within the
    pool's limit, and no two buffers live at the same step share a byte, except an in-place
    pair within its allowance. Cheap next to code generation, so every plan is checked: a planner
    bug would otherwise show up as wrong numbers at run time."""
    limits = {p.name: p.size_limit for p in pools}
    for r in requests:
        place = placements[r.key]
        assert place.pool in limits, f"{r.key}: unknown pool {place.pool}"
        assert place.offset >= 0 and place.offset % alignment == 0, f"{r.key} at {place.offset} is not {alignment}-aligned"
        limit = limits[place.pool]
        assert limit is None or place.offset + r.size <= limit, f"{r.key} exceeds pool {place.pool}"
    for i, a in enumerate(requests):
        pa = placements[a.key]
        for b in requests[i + 1 :]:
            pb = placements[b.key]
            if pa.pool != pb.pool or not a.overlaps(b) or not _intersect(pa.offset, a.size, pb.offset, b.size):
                continue
            ab, ba = allowance(a, b), allowance(b, a)
            ok = (ab is not None and pa.offset - pb.offset <= ab) or (ba is not None and pb.offset - pa.offset <= ba)
            assert ok, f"{a.key} at {pa.offset} and {b.key} at {pb.offset} are live together and overlap"


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
        # Resource handles (VAR_HANDLE) are resolved at generation time and need no buffer.
        if tensor < 0 or (graph.tensor(tensor).is_constant and tensor not in outputs_set):
            return
        if graph.tensor(tensor).dtype == RESOURCE:
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
        if graph.tensor(home).is_variable:  # state: kept from run to run, so live at every step
            kinds[key] = STATE
            requests.append(BufferRequest(key, graph.tensor(home).nbytes, 0, last_step))
            continue
        kinds[key] = INPUT if home in inputs else OUTPUT if home in outputs else INTERMEDIATE
        requests.append(BufferRequest(key, graph.tensor(home).nbytes, first[home], last[home]))
    # An operator of a subgraph run from several places appears several times on the timeline
    # (passes/timeline.py): its scratch buffer is live from the first appearance to the last.
    scratch_steps: dict[int, tuple[int, int]] = {}
    for step, op in enumerate(graph.operators):
        if op.index >= 0 and int(scratch_bytes.get(op.index, 0)) > 0:
            low, _ = scratch_steps.get(op.index, (step, step))
            scratch_steps[op.index] = (low, step)
    for index, (low, high) in scratch_steps.items():
        key = f"scratch{index}"
        kinds[key] = SCRATCH
        requests.append(BufferRequest(key, int(scratch_bytes[index]), low, high))
    # State that is not a tensor: resource variables, CALL_ONCE flags and operator state, live at
    # every step.
    state = model_state(graph)
    for variable in state.variables:
        if variable.nbytes:
            kinds[variable.key] = STATE
            requests.append(BufferRequest(variable.key, variable.nbytes, 0, last_step))
    for index in state.once:
        kinds[once_key(index)] = STATE
        requests.append(BufferRequest(once_key(index), 1, 0, last_step))
    for owned in storage.operator_state:
        kinds[owned.key] = STATE
        requests.append(BufferRequest(owned.key, len(owned.initial), 0, last_step))
    return requests, kinds
