"""Static memory planning (see plan.py for what is planned, planner.py and search.py for how)."""
from .plan import (
    INPUT,
    INTERMEDIATE,
    OUTPUT,
    SCRATCH,
    STATE,
    STATE_POOL,
    MemoryPlan,
    PlannedBuffer,
    Pool,
    check_placements,
    plan_memory,
)
from .planner import (
    BufferRequest,
    Placement,
    Planner,
    PoolSpec,
    align_up,
    greedy_by_size,
    lower_bound_bytes,
    peak_live_bytes,
    place_in_order,
)
from .search import hill_climb

__all__ = [
    "INPUT", "INTERMEDIATE", "OUTPUT", "SCRATCH", "STATE", "STATE_POOL", "BufferRequest", "MemoryPlan", "Placement",
    "PlannedBuffer", "Planner", "Pool", "PoolSpec", "align_up", "check_placements", "greedy_by_size",
    "hill_climb", "lower_bound_bytes", "peak_live_bytes", "place_in_order", "plan_memory",
]
