"""The default planner: several greedy orders, then hill climbing over the order of the best.

Placing buffers one at a time at the lowest free offset (placement.place_in_order) is only as good
as the order: greedy by size is TFLite Micro's choice, but on chains of equal-size buffers its
tie-breaking can leave a gap that another order avoids (ad01: 272 bytes where 256 suffice).
So `hill_climb`
1. places the buffers in a few classic orders (by size, by start, by conflicts, by lifetime,
   by size x lifetime, backwards from the end), each with first fit and best fit (and, when
   some buffers may run in place, snug fit), and keeps the smallest plan;
2. unless that plan already meets the lower bound, tries moving one buffer earlier in the
   order, keeping any move that makes the plan smaller (or, at equal size, lower in the pool),
   until no move helps, the lower bound is reached or the budget of work is spent.

Deterministic by construction: fixed orders, moves tried in a fixed sequence, ties broken by
buffer key, and a budget counted in evaluations rather than time, so the same requests always
give the same plan on any machine.
"""
from __future__ import annotations

from typing import Callable, Mapping, Optional, Sequence

from ..errors import UserError
from .placement import (
    BEST_FIT,
    FIRST_FIT,
    SNUG_FIT,
    BufferRequest,
    Placement,
    PoolSpec,
    align_up,
    live_together,
    lower_bound_bytes,
    place_in_order,
    pool_sizes,
)

# Budget of the hill climbing, counted in the work of one evaluation (buffers placed plus, for
# each, the buffers live with it): about a second of Python at most, whatever the model. The
# MLPerf Tiny models reach their lower bound before any climbing.
WORK_BUDGET = 1_000_000
MIN_EVALUATIONS = 50

Cost = tuple[int, int]  # (total pool bytes, sum of buffer tops): smaller is better


def _conflict_weights(requests: Sequence[BufferRequest], near: Mapping[str, frozenset[str]]) -> dict[str, int]:
    """Bytes of the other buffers each buffer is live with (TVM's "greedy by conflicts")."""
    size = {r.key: r.size for r in requests}
    return {r.key: sum(size[k] for k in near[r.key]) for r in requests}


def _orders(requests: Sequence[BufferRequest], near: Mapping[str, frozenset[str]]) -> list[list[BufferRequest]]:
    conflicts = _conflict_weights(requests, near)
    keys: list[Callable[[BufferRequest], tuple]] = [
        lambda r: (-r.size, r.start, r.end, r.key),  # greedy by size (TFLite Micro)
        lambda r: (r.start, -r.size, r.end, r.key),  # in execution order
        lambda r: (-conflicts[r.key], -r.size, r.start, r.key),  # greedy by conflicts (TVM)
        lambda r: (-(r.end - r.start), -r.size, r.start, r.key),  # longest lived first
        lambda r: (-(r.size * (r.end - r.start + 1)), r.start, r.key),  # largest size x lifetime
        lambda r: (-r.end, -r.start, -r.size, r.key),  # backwards: chains of in-place outputs
    ]
    return [sorted(requests, key=key) for key in keys]


def _cost(
    requests: Sequence[BufferRequest], placements: dict[str, Placement], pools: Sequence[PoolSpec], alignment: int
) -> Cost:
    total = sum(pool_sizes(requests, placements, pools, alignment).values())
    return total, sum(placements[r.key].offset + r.size for r in requests)


def hill_climb(
    requests: Sequence[BufferRequest],
    pools: Sequence[PoolSpec],
    alignment: int,
    max_evaluations: Optional[int] = None,
) -> dict[str, Placement]:
    """The smallest plan found (see the module docstring). Raises UserError when no order fits
    the pools' size limits. `max_evaluations` None: as many as WORK_BUDGET allows."""
    if not requests:
        return {}
    near = live_together(requests)

    def attempt(order: Sequence[BufferRequest], fit: str) -> Optional[tuple[Cost, dict[str, Placement]]]:
        try:
            placements = place_in_order(order, pools, alignment, fit, near)
        except UserError:
            return None  # this order does not fit the pools' size limits; another may
        return _cost(order, placements, pools, alignment), placements

    best: Optional[tuple[Cost, dict[str, Placement]]] = None
    best_order: list[BufferRequest] = []
    best_fit = FIRST_FIT
    fits = (FIRST_FIT, BEST_FIT, SNUG_FIT) if any(r.may_overlap for r in requests) else (FIRST_FIT, BEST_FIT)
    for order in _orders(requests, near):
        for fit in fits:
            found = attempt(order, fit)
            if found is not None and (best is None or found[0] < best[0]):
                best, best_order, best_fit = found, order, fit
    if best is None:
        place_in_order(_orders(requests, near)[0], pools, alignment)  # raises the "does not fit" error
        raise AssertionError("unreachable: an order failed to fit but greedy by size fitted")

    # Moves: take the buffer at position i and insert it at position j < i. They are tried in a
    # fixed cycle; after an improvement the cycle goes on from the next move, and the climb ends
    # when a whole cycle brings nothing (a local optimum), at the lower bound, or at the budget.
    n = len(best_order)
    moves = [(i, j) for i in range(1, n) for j in range(i)]
    if max_evaluations is None:
        work = n + sum(len(k) for k in near.values())
        max_evaluations = max(MIN_EVALUATIONS, WORK_BUDGET // max(work, 1))
    target = align_up(lower_bound_bytes(requests), alignment)
    evaluations = since_improvement = 0
    move = 0
    while moves and best[0][0] > target and evaluations < max_evaluations and since_improvement < len(moves):
        i, j = moves[move]
        move = (move + 1) % len(moves)
        order = best_order[:j] + [best_order[i]] + best_order[j:i] + best_order[i + 1 :]
        evaluations += 1
        since_improvement += 1
        found = attempt(order, best_fit)
        if found is not None and found[0] < best[0]:
            best, best_order, since_improvement = found, order, 0
    return best[1]
