"""The static memory planner: placements never overlap while live, offsets are aligned, pools
are big enough, and aliases, scratch buffers and workspace I/O are planned as documented."""
from __future__ import annotations

import numpy as np
import pytest

from microtvm import ir
from microtvm.errors import UserError
from microtvm.memory import (
    BufferRequest,
    PoolSpec,
    align_up,
    greedy_by_size,
    peak_live_bytes,
    plan_memory,
)
from microtvm.passes import resolve_storage, run_all


def _assert_valid(requests, placements, alignment, pools=None):
    for r in requests:
        place = placements[r.key]
        assert place.offset % alignment == 0, f"{r.key} at {place.offset} is not {alignment}-aligned"
        if pools:
            limit = {p.name: p.size_limit for p in pools}[place.pool]
            assert limit is None or place.offset + r.size <= limit
    for i, a in enumerate(requests):
        for b in requests[i + 1 :]:
            pa, pb = placements[a.key], placements[b.key]
            if a.overlaps(b) and pa.pool == pb.pool and a.size and b.size:
                disjoint = pa.offset + a.size <= pb.offset or pb.offset + b.size <= pa.offset
                assert disjoint, f"{a} at {pa.offset} overlaps {b} at {pb.offset}"


@pytest.mark.parametrize("seed", range(40))
def test_random_lifetimes_never_overlap(seed):
    rng = np.random.default_rng(seed)
    steps = int(rng.integers(1, 30))
    requests = []
    for k in range(int(rng.integers(1, 40))):
        start = int(rng.integers(0, steps))
        end = int(rng.integers(start, steps))
        requests.append(BufferRequest(f"b{k}", int(rng.integers(0, 5000)), start, end))
    alignment = int(2 ** rng.integers(0, 7))
    placements = greedy_by_size(requests, [PoolSpec("p")], alignment)
    _assert_valid(requests, placements, alignment)
    size = max((placements[r.key].offset + r.size for r in requests), default=0)
    assert size >= peak_live_bytes(requests)  # the lower bound is a lower bound
    # Sizes summed per step never exceed what a naive "everything disjoint" layout uses.
    assert size <= sum(align_up(r.size, alignment) for r in requests)


def test_disjoint_lifetimes_share_offset_zero():
    requests = [BufferRequest("a", 100, 0, 1), BufferRequest("b", 100, 2, 3), BufferRequest("c", 50, 4, 4)]
    placements = greedy_by_size(requests, [PoolSpec("p")], 16)
    assert {p.offset for p in placements.values()} == {0}


def test_chain_reaches_the_lower_bound():
    """A -> B -> C -> D: two buffers live at a time, so the pool is two of them."""
    requests = [BufferRequest(f"t{i}", 96, i, i + 1) for i in range(4)]
    placements = greedy_by_size(requests, [PoolSpec("p")], 16)
    assert max(p.offset + 96 for p in placements.values()) == peak_live_bytes(requests) == 192


def test_alignment_pads_between_buffers():
    requests = [BufferRequest("a", 10, 0, 0), BufferRequest("b", 10, 0, 0)]
    placements = greedy_by_size(requests, [PoolSpec("p")], 64)
    assert sorted(p.offset for p in placements.values()) == [0, 64]


def test_size_limits_spill_to_the_next_pool_and_error_when_full():
    requests = [BufferRequest("big", 1000, 0, 0), BufferRequest("small", 100, 0, 0)]
    pools = [PoolSpec("fast", 256), PoolSpec("slow")]
    placements = greedy_by_size(requests, pools, 16)
    assert placements["big"].pool == "slow" and placements["small"].pool == "fast"
    _assert_valid(requests, placements, 16, pools)
    with pytest.raises(UserError, match="does not fit"):
        greedy_by_size(requests, [PoolSpec("fast", 256)], 16)


# ----------------------------------------------------------------------------------------------
# Plans of graphs: which buffers exist and when they are live.


def _t(index, shape, name=None, data=None, dtype="int8"):
    return ir.Tensor(index, name or f"t{index}", tuple(shape), dtype, None, data)


def _graph():
    """in[4,8] -FC(op0)-> a[4,8] -RESHAPE(op1)-> b[32] -RESHAPE(op2)-> c[4,8] -FC(op3)-> out[4,8]
    FC weights are constants (tensors 6, 7)."""
    w = np.zeros((8, 8), np.int8)
    tensors = [_t(0, (4, 8)), _t(1, (4, 8)), _t(2, (32,)), _t(3, (4, 8)), _t(4, (4, 8)),
               _t(5, (2,), data=np.array([4, 8], np.int32), dtype="int32"), _t(6, (8, 8), data=w), _t(7, (8, 8), data=w)]
    ops = [
        ir.Operator(0, "FULLY_CONNECTED", (0, 6, -1), (1,)),
        ir.Operator(1, "RESHAPE", (1,), (2,)),
        ir.Operator(2, "RESHAPE", (2, 5), (3,)),
        ir.Operator(3, "FULLY_CONNECTED", (3, 7, -1), (4,)),
    ]
    return ir.Graph(tensors, ops, (0,), (4,), "g.tflite")


def test_aliases_share_one_buffer_live_over_the_whole_group():
    graph = _graph()
    storage = resolve_storage(graph)
    assert storage.home[2] == storage.home[3] == 1
    plan = plan_memory(graph, storage, {})
    keys = {b.key: b for b in plan.buffers}
    assert set(keys) == {"t0", "t1", "t4"}  # no buffers for the aliases, none for constants
    assert (keys["t1"].start, keys["t1"].end) == (0, 3)
    assert keys["t0"].pool is None and keys["t4"].pool is None  # the caller's I/O
    assert plan.tensor_buffer(3) == keys["t1"]


def test_alias_to_output_moves_the_group_into_the_output():
    """FC -> RESHAPE -> graph output: the FC writes straight into the caller's output buffer."""
    graph = _graph()
    graph = ir.Graph(graph.tensors, graph.operators[:3], (0,), (3,), "g.tflite")
    storage = resolve_storage(graph)
    assert storage.home[1] == storage.home[2] == 3 and not storage.copies
    plan = plan_memory(graph, storage, {})
    assert plan.tensor_buffer(1).pool is None and plan.workspace_size == 0


def test_input_reshaped_to_output_needs_a_copy():
    tensors = [_t(0, (2, 4)), _t(1, (8,))]
    graph = ir.Graph(tensors, [ir.Operator(0, "RESHAPE", (0,), (1,))], (0,), (1,), "g.tflite")
    storage = resolve_storage(graph)
    assert [(c.src, c.dst) for c in storage.copies] == [(0, 1)]


def test_constant_reshape_is_folded():
    tensors = [_t(0, (2, 4), data=np.arange(8, dtype=np.int8)), _t(1, (8,)), _t(2, (8,)), _t(3, (8,))]
    ops = [ir.Operator(0, "RESHAPE", (0,), (1,)), ir.Operator(1, "ADD", (2, 1), (3,))]
    folded = run_all(ir.Graph(tensors, ops, (2,), (3,), "g.tflite"))
    assert [op.opcode for op in folded.operators] == ["ADD"]
    np.testing.assert_array_equal(folded.tensor(1).data, np.arange(8))


def test_scratch_lives_during_its_operator_only():
    graph = _graph()
    plan = plan_memory(graph, resolve_storage(graph), {0: 100, 3: 40})
    scratch0, scratch3 = plan.scratch_buffer(0), plan.scratch_buffer(3)
    assert (scratch0.start, scratch0.end, scratch0.size) == (0, 0, 100)
    assert (scratch3.start, scratch3.end) == (3, 3)
    a = plan.tensor_buffer(1)  # live at steps 0..3, so it must not share bytes with either
    for s in (scratch0, scratch3):
        assert s.offset + s.size <= a.offset or a.offset + a.size <= s.offset
    assert plan.workspace_size == 32 + 112 and plan.peak_live_bytes == 32 + 100


def test_workspace_io_plans_inputs_and_outputs_in_the_pool():
    graph = _graph()
    plan = plan_memory(graph, resolve_storage(graph), {}, use_workspace_io=True, alignment=8)
    keys = {b.key: b for b in plan.buffers}
    assert keys["t0"].pool == keys["t4"].pool == "default"
    assert (keys["t0"].start, keys["t0"].end) == (0, 0)  # free after its last reader...
    assert (keys["t4"].start, keys["t4"].end) == (3, 3)  # ...so the output may reuse its bytes
    assert all(b.offset % 8 == 0 for b in plan.buffers)
    assert plan.workspace_size == 64


def test_a_different_planner_drops_in():
    """Planner is a plain function type: here one that never shares memory."""

    def bump(requests, pools, alignment):
        from microtvm.memory import Placement

        offset, result = 0, {}
        for r in sorted(requests, key=lambda r: r.key):
            result[r.key] = Placement(pools[0].name, offset)
            offset = align_up(offset + r.size, alignment)
        return result

    graph = _graph()
    plan = plan_memory(graph, resolve_storage(graph), {0: 16}, planner=bump)
    assert plan.workspace_size == 32 + 16
