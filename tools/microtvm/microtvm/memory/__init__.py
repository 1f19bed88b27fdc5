"""Static memory planning (see plan.py for what is planned and planner.py for how)."""
from .plan import INPUT, INTERMEDIATE, OUTPUT, SCRATCH, MemoryPlan, PlannedBuffer, Pool, plan_memory
from .planner import BufferRequest, Placement, Planner, PoolSpec, align_up, greedy_by_size, peak_live_bytes

__all__ = [
    "INPUT", "INTERMEDIATE", "OUTPUT", "SCRATCH", "BufferRequest", "MemoryPlan", "Placement",
    "PlannedBuffer", "Planner", "Pool", "PoolSpec", "align_up", "greedy_by_size",
    "peak_live_bytes", "plan_memory",
]
