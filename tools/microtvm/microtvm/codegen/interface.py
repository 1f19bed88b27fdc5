"""The names of the embedded C interface (TVM's --interface-api=c): module, I/O members, pools."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

from ..errors import UserError
from ..ir import Graph, Quantization
from .names import is_identifier, sanitize, unique_names


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


def check_io_names(
    given: Sequence[str], count: int, kind: str, flag: str, reserved: Sequence[str], taken: dict[str, str]
) -> None:
    """User-chosen I/O names (input_names/output_names): C identifiers, one per tensor, unique
    case-insensitively (they become macros TVMGEN_<M>_<NAME>_SIZE) and not a fixed macro's."""
    if len(given) != count:
        raise UserError(f"{flag} gives {len(given)} name(s) for the model's {count} {kind}(s): give one name per {kind}, in order")
    for name in given:
        if not is_identifier(name):
            raise UserError(
                f"{flag}: {name!r} is not a C identifier (or is a C keyword); use letters, digits and '_', "
                f"not starting with a digit, e.g. {sanitize(name, kind)!r}"
            )
        if name.upper() in {r.upper() for r in reserved}:
            raise UserError(f"{flag}: {name!r} is reserved (TVMGEN_<M>_{name.upper()}_SIZE is a fixed macro); choose another name")
        if name.upper() in taken:
            raise UserError(
                f"{flag}: {name!r} and {taken[name.upper()]!r} are the same name once upper-cased (macros); "
                f"every input and output needs its own name"
            )
        taken[name.upper()] = name


def make_interface(
    graph: Graph,
    module: str,
    pools: Sequence[str],
    stateful: bool = False,
    input_names: Sequence[str] = (),
    output_names: Sequence[str] = (),
) -> Interface:
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
    taken: dict[str, str] = {}
    if input_names:
        check_io_names(input_names, len(graph.inputs), "input", "--input-names", reserved, taken)
        c_names[: len(graph.inputs)] = list(input_names)
    if output_names:
        check_io_names(output_names, len(graph.outputs), "output", "--output-names", reserved, taken)
        c_names[len(graph.inputs) :] = list(output_names)
    if input_names or output_names:  # renamed and generated names must not meet either
        final = unique_names(c_names, fallbacks, reserved)
        if final != c_names:
            clash = next(a for a, b in zip(c_names, final) if a != b)
            raise UserError(
                f"the I/O name {clash!r} is used twice (case-insensitively) once --input-names/--output-names "
                f"are applied: name every input and output differently"
            )

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
