"""The LowerContext the operator lowerings use (see ops/base.py): C expressions for buffers,
constant registration and scratch pointers, all resolved against the memory plan."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..ir import Graph
from ..memory import MemoryPlan
from .arrays import c_type
from .interface import Interface
from .names import sanitize
from .params import declaration


@dataclass(frozen=True)
class Constant:
    identifier: str
    array: np.ndarray

    @property
    def c_type(self) -> str:
        return c_type(str(self.array.dtype))

    @property
    def length(self) -> int:
        return max(int(self.array.size), 1)  # C forbids zero-length arrays


@dataclass
class Constants:
    """Every constant array registered by the lowerings, in registration order."""

    module: str
    items: list[Constant] = field(default_factory=list)
    _taken: set[str] = field(default_factory=set)
    _by_tensor: dict[int, str] = field(default_factory=dict)

    def add(self, hint: str, array: np.ndarray) -> str:
        base = f"tvmgen_{self.module}_{sanitize(hint, 'const')}"
        identifier, counter = base, 0
        while identifier in self._taken:
            counter += 1
            identifier = f"{base}_{counter}"
        self._taken.add(identifier)
        data = np.ascontiguousarray(array)
        data.setflags(write=False)
        self.items.append(Constant(identifier, data))
        return identifier

    def for_tensor(self, graph: Graph, tensor: int, prefix: str) -> str:
        """The array of a constant tensor, registered once however many operators read it."""
        if tensor not in self._by_tensor:
            t = graph.tensor(tensor)
            # TFLite names list every fused layer; 40 characters keep identifiers readable.
            self._by_tensor[tensor] = self.add(f"{prefix}_{sanitize(t.name, 't')[:40]}_t{tensor}", t.data)
        return self._by_tensor[tensor]

    @property
    def total_bytes(self) -> int:
        return sum(int(c.array.nbytes) for c in self.items)


def pool_variable(pool: str) -> str:
    """The local `uint8_t*` in tvmgen_<m>_run that points at a pool."""
    return f"{pool}_pool"


class BufferResolver:
    """Maps tensors to C pointer expressions according to the plan and the calling convention."""

    def __init__(self, graph: Graph, plan: MemoryPlan, interface: Interface, constants: Constants):
        self.graph = graph
        self.plan = plan
        self.interface = interface
        self.constants = constants
        self.used_pools: set[str] = set()
        # Arguments every subgraph function takes (codegen: the pools struct when external, the
        # state when the model is stateful).
        args = (["workspace_pools"] if interface.pools else []) + (["state"] if interface.stateful else [])
        self.subgraph_args = ", ".join(args)
        self._io_member = {io.tensor: ("inputs", io.c_name) for io in interface.inputs}
        self._io_member.update({io.tensor: ("outputs", io.c_name) for io in interface.outputs})

    def raw(self, tensor: int) -> str:
        """An untyped expression for the start of a tensor's bytes."""
        if self.graph.tensor(tensor).is_constant:
            return self.constants.for_tensor(self.graph, tensor, "const")
        return self.storage(tensor)

    def storage(self, tensor: int) -> str:
        """The planned buffer of a tensor (also for a constant graph output: its output buffer)."""
        buffer = self.plan.tensor_buffer(tensor)
        if buffer.pool is None:
            struct, member = self._io_member[buffer.tensor]
            return f"{struct}->{member}"
        return self.pool_pointer(buffer.pool, buffer.offset)

    def pool_pointer(self, pool: str, offset: int) -> str:
        self.used_pools.add(pool)
        return f"({pool_variable(pool)} + {offset})"

    def subgraph_function(self, index: int) -> str:
        return f"{self.interface.prefix}_subgraph{index}"

    def typed(self, tensor: int) -> str:
        t = self.graph.tensor(tensor)
        return f"(({c_type(t.dtype)}*){self.raw(tensor)})"


class OpContext:
    """LowerContext for one operator."""

    def __init__(self, resolver: BufferResolver, op_index: int):
        self._resolver = resolver
        self._op_index = op_index
        self.graph = resolver.graph
        self.prefix = f"op{op_index}"
        self.decls: list[str] = []  # file-scope declarations made through params(), in order
        self._names: set[str] = set()

    def params(self, c_type: str, fields: Mapping[str, object], name: str = "params") -> str:
        identifier = f"{self.prefix}_{name}"
        if identifier in self._names:
            raise AssertionError(f"operator {self._op_index} declared {identifier} twice")
        self._names.add(identifier)
        self.decls.append(declaration(c_type, identifier, fields))
        return identifier

    def buf(self, tensor_index: int) -> str:
        return self._resolver.typed(tensor_index)

    def const(self, hint: str, array: np.ndarray) -> str:
        hint = hint if hint.startswith(self.prefix + "_") else f"{self.prefix}_{hint}"
        return self._resolver.constants.add(hint, np.asarray(array))

    def scratch(self) -> str:
        buffer = self._resolver.plan.scratch_buffer(self._op_index)
        if buffer is None:
            raise AssertionError(f"operator {self._op_index} asked for scratch but its scratch_bytes() is 0")
        return f"((void*){self._resolver.pool_pointer(buffer.pool, buffer.offset)})"

    def call_subgraph(self, index: int) -> str:
        return f"{self._resolver.subgraph_function(index)}({self._resolver.subgraph_args})"

    def state(self, key: str) -> str:
        buffer = next((b for b in self._resolver.plan.buffers if b.key == key), None)
        if buffer is None:
            raise AssertionError(f"operator {self._op_index} asked for state buffer {key!r}, which is not planned")
        return self._resolver.pool_pointer(buffer.pool, buffer.offset)
