"""The names of the embedded C interface (TVM's --interface-api=c): module, I/O members, pools."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

from ..errors import UserError
from ..ir import Graph, Quantization
from .names import is_identifier, unique_names


@dataclass(frozen=True)
class IOTensor:
    tensor: int  # tensor index in the graph
    name: str  # the tensor's name in the model
    c_name: str  # struct member; the macro is TVMGEN_<MODULE>_<C_NAME upper>_SIZE
    dtype: str
    shape: tuple[int, ...]
    nbytes: int
    quant: Optional[Quantization]


@dataclass(frozen=True)
class Interface:
    module: str  # as given: tvmgen_<module>_run
    inputs: tuple[IOTensor, ...]
    outputs: tuple[IOTensor, ...]
    pools: tuple[str, ...]  # C names of external pools (struct members), empty if internal
    # True when the model has variable tensors: the header then has TVMGEN_<M>_STATE_SIZE,
    # struct tvmgen_<m>_state and tvmgen_<m>_reset_state, and _run takes the state last.
    stateful: bool = False

    @property
    def prefix(self) -> str:
        return f"tvmgen_{self.module}"

    @property
    def macro_prefix(self) -> str:
        return f"TVMGEN_{self.module.upper()}"


def check_module_name(name: str) -> str:
    # Only used inside prefixed identifiers (tvmgen_<name>_run), so C keywords are fine.
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise UserError(
            f"module name {name!r} is not a C identifier; use letters, digits and '_' "
            f"(not starting with a digit), e.g. --module-name kws"
        )
    return name


def make_interface(graph: Graph, module: str, pools: Sequence[str], stateful: bool = False) -> Interface:
    module = check_module_name(module)
    for pool in pools:
        if not is_identifier(pool):
            raise UserError(f"workspace pool name {pool!r} is not a C identifier; use letters, digits and '_'")
    # Names that would collide with the fixed macros TVMGEN_<M>_WORKSPACE_SIZE and
    # TVMGEN_<M>_<POOL>_WORKSPACE_POOL_SIZE (and TVMGEN_<M>_STATE_SIZE for stateful models).
    reserved = ["WORKSPACE", *(f"{pool}_WORKSPACE_POOL" for pool in pools), *(["STATE"] if stateful else [])]
    tensors = [*graph.inputs, *graph.outputs]
    names = [graph.tensor(t).name for t in tensors]
    fallbacks = [f"input_{i}" for i in range(len(graph.inputs))] + [f"output_{i}" for i in range(len(graph.outputs))]
    c_names = unique_names(names, fallbacks, reserved)

    def io(position: int) -> IOTensor:
        t = graph.tensor(tensors[position])
        return IOTensor(t.index, t.name, c_names[position], t.dtype, tuple(t.shape), t.nbytes, t.quant)

    count = len(graph.inputs)
    return Interface(
        module=module,
        inputs=tuple(io(i) for i in range(count)),
        outputs=tuple(io(i) for i in range(count, len(tensors))),
        pools=tuple(pools),
        stateful=stateful,
    )
