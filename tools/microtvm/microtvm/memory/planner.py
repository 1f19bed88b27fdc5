"""Placement algorithms: given buffers with lifetimes, choose a pool and an offset for each.

A placement algorithm is any function with the `Planner` signature; `greedy_by_size` is the
default. Lifetimes are inclusive ranges of operator steps: two buffers conflict when their
ranges intersect (an operator's inputs and outputs are live at its own step, so an operator
never writes over an input it is still reading).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from ..errors import UserError


@dataclass(frozen=True)
class BufferRequest:
    """A buffer to place: `key` is unique and stable (it orders ties deterministically)."""

    key: str
    size: int
    start: int  # first step at which the buffer is live
    end: int  # last step at which the buffer is live (inclusive)

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


def greedy_by_size(requests: Sequence[BufferRequest], pools: Sequence[PoolSpec], alignment: int) -> dict[str, Placement]:
    """Place the largest buffers first, each at the lowest aligned offset that is free for its
    whole lifetime, in the first pool where it fits.

    Large buffers placed first tend to pack well; small ones then fill the gaps between them.
    """
    order = sorted(requests, key=lambda r: (-r.size, r.start, r.end, r.key))
    placed: dict[str, list[tuple[BufferRequest, int]]] = {pool.name: [] for pool in pools}
    result: dict[str, Placement] = {}
    for request in order:
        for pool in pools:
            offset = _lowest_free_offset(request, placed[pool.name], alignment)
            if pool.size_limit is None or offset + request.size <= pool.size_limit:
                placed[pool.name].append((request, offset))
                result[request.key] = Placement(pool.name, offset)
                break
        else:
            names = ", ".join(f"{p.name} ({p.size_limit} bytes)" for p in pools)
            raise UserError(
                f"buffer {request.key} ({request.size} bytes) does not fit in the workspace pools "
                f"{names}; give a pool more room or add a pool without a size limit"
            )
    return result


def _lowest_free_offset(request: BufferRequest, placed: list[tuple[BufferRequest, int]], alignment: int) -> int:
    """First aligned offset where `request` does not intersect a live placed buffer."""
    conflicts = sorted((offset, offset + other.size) for other, offset in placed if other.overlaps(request) and other.size > 0)
    candidate = 0
    for begin, end in conflicts:
        if candidate + request.size <= begin:
            break
        candidate = max(candidate, align_up(end, alignment))
    return candidate


def peak_live_bytes(requests: Sequence[BufferRequest]) -> int:
    """The largest total size of buffers live at one step: no placement can use less."""
    steps = sorted({r.start for r in requests})
    return max((sum(r.size for r in requests if r.start <= s <= r.end) for s in steps), default=0)
