"""Static memory planning: graph_plan.py says what is planned (buffers, lifetimes, the MemoryPlan),
placement.py and search.py where each buffer goes (the placement algorithms)."""
from .graph_plan import (
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
from .placement import (
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
