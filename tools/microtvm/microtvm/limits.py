"""Limits on what a model may declare, checked as each count or size is read, before anything is
allocated or computed from it (frontend/reader.py; cli.py checks the file size before reading).

They are far beyond any model a microcontroller runs (its whole memory is a few MB), so a file over
them is damaged or hostile; without them a small file could declare terabytes of tensors or an
exponential program and make the compiler hang or run out of memory instead of failing.
"""

MAX_MODEL_BYTES = 1 << 30  # the file (models over 2 GB keep buffers after the flatbuffer: none fit)
MAX_TENSOR_BYTES = 1 << 28  # one tensor
MAX_TENSOR_ELEMENTS = (1 << 31) - 1  # one tensor; the kernels index elements with int32_t
MAX_TOTAL_TENSOR_BYTES = 1 << 30  # all tensors of the subgraphs read
MAX_RANK = 16
MAX_OPERATORS = 1 << 16  # operators run, counting each subgraph once per place that runs it
MAX_TENSORS = 1 << 18  # in the subgraphs read
MAX_SUBGRAPHS = 256  # read (the main one and those it runs, nested)
MAX_CUSTOM_OPTION_VALUES = 1 << 16  # values in one custom operator's flexbuffer options
MAX_CUSTOM_OPTION_DEPTH = 32
