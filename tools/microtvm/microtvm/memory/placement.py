"""Placement algorithms: given buffers with lifetimes, choose a pool and an offset for each.

A placement algorithm is any function with the `Planner` signature. Lifetimes are inclusive
ranges of operator steps: two buffers conflict when their ranges intersect (an operator's inputs
and outputs are live at its own step, so an operator never writes over an input it is still
reading) unless the later one declares that it may overlap the other (in-place execution, see
`BufferRequest.may_overlap`).

This module has the building blocks and `greedy_by_size`; search.py combines them into the
default planner, which tries several orders and improves the best one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Optional, Sequence

from ..errors import UserError


@dataclass(frozen=True)
class BufferRequest:
    """A buffer to place: `key` is unique and stable (it orders ties deterministically)."""

    key: str
    size: int
    start: int  # first step at which the buffer is live
    end: int  # last step at which the buffer is live (inclusive)
    # In-place execution: (key of another buffer, D) pairs. This buffer is written by the operator
    # at step `start`, which reads the other one for the last time; the two may share bytes as long
    # as (offset of this buffer) - (offset of the other) <= D (see OpLowering.in_place_inputs).
    may_overlap: tuple[tuple[str, int], ...] = ()

    def overlaps(self, other: "BufferRequest") -> bool:
        return self.start <= other.end and other.start <= self.end


@dataclass(frozen=True)
class PoolSpec:
    """A workspace pool; `size_limit` None means the pool grows as needed."""

    name: str
    size_limit: Optional[int] = None


@dataclass(frozen=True)
class Placement:
    pool: str
    offset: int


# requests, pools (in order of preference), alignment -> key -> placement
Planner = Callable[[Sequence[BufferRequest], Sequence[PoolSpec], int], dict[str, Placement]]


def align_up(value: int, alignment: int) -> int:
    return (value + alignment - 1) // alignment * alignment


# ----------------------------------------------------------------------------------------------
# Conflicts as intervals of forbidden offsets


def allowance(a: BufferRequest, b: BufferRequest) -> Optional[int]:
    """D if `a` may overlap `b` while both are live (offset(a) - offset(b) <= D), else None."""
    for key, delta in a.may_overlap:
        if key == b.key:
            return delta
    return None


def blocked_offsets(request: BufferRequest, other: BufferRequest, other_offset: int) -> Optional[tuple[int, int]]:
    """The offsets [lo, hi) at which `request` would clash with `other` placed at `other_offset`
    (their lifetimes must intersect), or None if there are none."""
    if request.size == 0 or other.size == 0:
        return None
    lo = other_offset - request.size + 1  # from here on the two share a byte...
    hi = other_offset + other.size  # ...up to here
    mine = allowance(request, other)
    if mine is not None:  # request may overlap other when offset - other_offset <= D
        lo = max(lo, other_offset + mine + 1)
    theirs = allowance(other, request)
    if theirs is not None:  # other may overlap request when other_offset - offset <= D
        hi = min(hi, other_offset - theirs)
    return (lo, hi) if lo < hi else None


def lowest_free_offset(size: int, blocked: Sequence[tuple[int, int]], alignment: int) -> int:
    """The first aligned offset outside every [lo, hi) of `blocked`."""
    candidate = 0
    for lo, hi in sorted(blocked):
        if lo > candidate:
            break  # sorted by lo: no later interval contains the candidate either
        if candidate < hi:
            candidate = align_up(hi, alignment)
    return candidate


def free_offsets(blocked: Sequence[tuple[int, int]], alignment: int) -> list[tuple[int, Optional[int]]]:
    """Every gap between blocked intervals as (first aligned offset, end or None for unbounded),
    lowest first. A buffer fits in a gap if offset + size <= end."""
    gaps: list[tuple[int, Optional[int]]] = []
    candidate = 0
    for lo, hi in sorted(blocked):
        if lo > candidate:
            gaps.append((candidate, lo))
        candidate = max(candidate, align_up(hi, alignment))
    gaps.append((candidate, None))
    return gaps


def _no_room(request: BufferRequest, pools: Sequence[PoolSpec]) -> UserError:
    names = ", ".join(f"{p.name} ({p.size_limit} bytes)" for p in pools)
    return UserError(
        f"buffer {request.key} ({request.size} bytes) does not fit in the workspace pools "
        f"{names}; give a pool more room or add a pool without a size limit"
    )


# ----------------------------------------------------------------------------------------------
# Placing buffers one after another


# How place_in_order picks an offset among the free ones:
FIRST_FIT = "first"  # the lowest
BEST_FIT = "best"  # the smallest gap between placed buffers that holds it, else the lowest above them
SNUG_FIT = "snug"  # in place: as far over a placed in-place partner as its allowance lets, else first fit
FITS = (FIRST_FIT, BEST_FIT, SNUG_FIT)


def place_in_order(
    order: Sequence[BufferRequest],
    pools: Sequence[PoolSpec],
    alignment: int,
    fit: str = FIRST_FIT,
    neighbours: Optional[Mapping[str, frozenset[str]]] = None,
) -> dict[str, Placement]:
    """Place each buffer of `order` in turn, in the first pool where it fits, at an aligned offset
    that is free for its whole lifetime, chosen by `fit` (FIRST_FIT, BEST_FIT or SNUG_FIT).
    `neighbours` (from live_together) saves recomputing which buffers are live together.

    Raises UserError when a buffer fits in no pool."""
    if fit not in FITS:
        raise ValueError(f"fit must be one of {FITS}, got {fit!r}")
    if neighbours is None:
        neighbours = live_together(order)
    partners = _in_place_partners(order) if fit == SNUG_FIT else {}
    placed: dict[str, dict[str, tuple[BufferRequest, int]]] = {pool.name: {} for pool in pools}
    result: dict[str, Placement] = {}
    for request in order:
        near = neighbours[request.key]
        for pool in pools:
            here = placed[pool.name]
            # Only the spans' values matter (they are sorted), not the set's iteration order.
            blocked = [
                span
                for key in near
                if key in here
                for span in [blocked_offsets(request, *here[key])]
                if span is not None
            ]
            offset = None
            if fit == SNUG_FIT:
                wanted = _snug_offsets(request, partners.get(request.key, ()), here, alignment)
                offset = next((o for o in wanted if _is_free(o, request.size, blocked, pool.size_limit)), None)
            if offset is None:
                offset = _choose(request.size, blocked, alignment, fit == BEST_FIT, pool.size_limit)
            if offset is not None:
                placed[pool.name][request.key] = (request, offset)
                result[request.key] = Placement(pool.name, offset)
                break
        else:
            raise _no_room(request, pools)
    return result


def _in_place_partners(requests: Sequence[BufferRequest]) -> dict[str, list[tuple[str, int, bool]]]:
    """key -> (partner key, D, True if the key is the overlapping output) for every allowance."""
    partners: dict[str, list[tuple[str, int, bool]]] = {}
    for r in requests:
        for key, delta in r.may_overlap:
            partners.setdefault(r.key, []).append((key, delta, True))
            partners.setdefault(key, []).append((r.key, delta, False))
    return partners


def _snug_offsets(
    request: BufferRequest, partners: Sequence[tuple[str, int, bool]], here: Mapping[str, tuple[BufferRequest, int]], alignment: int
) -> list[int]:
    """Offsets that overlap a placed partner as much as the allowance permits, lowest first: an
    output goes at (input offset + D) rounded down, an input at (output offset - D) rounded up
    (D capped at 0: starting further up only overlaps less)."""
    wanted = []
    for key, delta, is_output in partners:
        if key not in here:
            continue
        other_offset = here[key][1]
        lead = min(delta, 0)
        if is_output:
            wanted.append((other_offset + lead) // alignment * alignment)
        else:
            wanted.append(align_up(other_offset - lead, alignment))
    return sorted(o for o in wanted if o >= 0)


def _is_free(offset: int, size: int, blocked: Sequence[tuple[int, int]], limit: Optional[int]) -> bool:
    if limit is not None and offset + size > limit:
        return False
    return all(not lo <= offset < hi for lo, hi in blocked)


def live_together(requests: Sequence[BufferRequest]) -> dict[str, frozenset[str]]:
    """key -> keys of the other non-empty buffers whose lifetime intersects its own."""
    by_start = sorted((r for r in requests if r.size > 0), key=lambda r: (r.start, r.key))
    near: dict[str, set[str]] = {r.key: set() for r in requests}
    for i, a in enumerate(by_start):
        for b in by_start[i + 1 :]:
            if b.start > a.end:
                break  # sorted by start: no later buffer starts within a's lifetime
            near[a.key].add(b.key)
            near[b.key].add(a.key)
    return {key: frozenset(keys) for key, keys in near.items()}


def _choose(size: int, blocked: list[tuple[int, int]], alignment: int, best_fit: bool, limit: Optional[int]) -> Optional[int]:
    if not best_fit:
        offset = lowest_free_offset(size, blocked, alignment)
        return offset if limit is None or offset + size <= limit else None
    fitting = [
        (end is None, (end - offset) if end is not None else 0, offset)
        for offset, end in free_offsets(blocked, alignment)
        if (end is None or offset + size <= end) and (limit is None or offset + size <= limit)
    ]
    return min(fitting)[2] if fitting else None


def pool_sizes(
    requests: Sequence[BufferRequest], placements: dict[str, Placement], pools: Sequence[PoolSpec], alignment: int
) -> dict[str, int]:
    """Bytes each pool needs for `placements` (its top, aligned)."""
    sizes = {p.name: 0 for p in pools}
    for request in requests:
        place = placements[request.key]
        sizes[place.pool] = max(sizes[place.pool], align_up(place.offset + request.size, alignment))
    return sizes


def greedy_by_size(requests: Sequence[BufferRequest], pools: Sequence[PoolSpec], alignment: int) -> dict[str, Placement]:
    """Place the largest buffers first, each at the lowest aligned offset that is free for its
    whole lifetime, in the first pool where it fits.

    Large buffers placed first tend to pack well; small ones then fill the gaps between them.
    (TFLite Micro's planner; search.hill_climb usually does better.)
    """
    order = sorted(requests, key=lambda r: (-r.size, r.start, r.end, r.key))
    return place_in_order(order, pools, alignment)


# ----------------------------------------------------------------------------------------------
# Lower bounds


def peak_live_bytes(requests: Sequence[BufferRequest]) -> int:
    """The largest total size of buffers live at one step: without in-place sharing, no
    placement can use less."""
    steps = sorted({r.start for r in requests})
    return max((sum(r.size for r in requests if r.start <= s <= r.end) for s in steps), default=0)


def lower_bound_bytes(requests: Sequence[BufferRequest]) -> int:
    """A bound no placement can beat, in-place sharing included: at every step, the live bytes
    less the most that the buffers written at that step may share with the inputs they overlap.

    A buffer of size s_out overlapping an input of size s_in with allowance D covers at least
    max(s_in + max(0, -D), s_out) bytes together with it, so it saves at most
    min(s_in, s_out - max(0, -D)); all its overlaps together save at most s_out."""
    by_key = {r.key: r for r in requests}
    best = 0
    for step in sorted({r.start for r in requests}):
        live = [r for r in requests if r.start <= step <= r.end]
        saving, inputs = 0, {}
        for r in live:
            if r.start != step:
                continue
            shared = 0
            for key, delta in r.may_overlap:
                other = by_key.get(key)
                if other is not None and other.overlaps(r):
                    shared += max(0, min(other.size, r.size - max(0, -delta)))
                    inputs[key] = other.size
            saving += min(shared, r.size)
        # Buffers written at the same step are disjoint: together they share at most the inputs.
        saving = min(saving, sum(inputs.values()))
        best = max(best, sum(r.size for r in live) - saving)
    return best
