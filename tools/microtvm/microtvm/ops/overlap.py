"""How far a windowed NHWC kernel's output may overlap its input: the D of
OpLowering.in_place_inputs for pools (and, once their kernels promise the same loop order,
depthwise and regular convolutions: "depthwise row buffering" done by the memory plan).

The kernel must
- compute output elements in memory order: batch, row, column, channel;
- for output (b, y, x, c), read only input pixels of that output's window (the cells inside
  the input: rows y*stride_h - pad_h + i*dilation_h, columns likewise), and read them before
  it writes that element; with `multiplier` m (depthwise, pools: m = 1) only input channel
  c // m, otherwise (m None, a convolution) any channel;
- write each output element once, or at least not before its reads are done.

Then after output element e = (b, y, x, c) is written, the lowest input element still to be read
is the first window cell of (b, y, x) at channel (c + 1) // m (or channel 0 for a convolution) if
the pixel has channels left, and the smallest first window cell of the later pixels otherwise.
In bytes the output must stay below it: out + (e + 1) * out_itemsize <= in + lo * in_itemsize, so
D = min over e of (lo(e) * in_itemsize - (e + 1) * out_itemsize), capped at 0.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np


def _first_cells(size: int, out_size: int, stride: int, dilation: int, pad: int, filter_size: int) -> np.ndarray:
    """Per output row (or column): the first input row inside the window, or -1 if none is."""
    first = np.full(out_size, -1, dtype=np.int64)
    for k in range(out_size):
        origin = k * stride - pad
        taps = [origin + i * dilation for i in range(filter_size) if 0 <= origin + i * dilation < size]
        if taps:
            first[k] = taps[0]
    return first


def raster_window_delta(
    in_shape: Sequence[int],
    out_shape: Sequence[int],
    filter_hw: tuple[int, int],
    stride_hw: tuple[int, int],
    pad_hw: tuple[int, int],
    dilation_hw: tuple[int, int] = (1, 1),
    multiplier: Optional[int] = 1,
    in_itemsize: int = 1,
    out_itemsize: int = 1,
) -> int:
    """D for a kernel with the loop order in the module docstring (<= 0: the output must start at
    least -D bytes before the input when the two overlap)."""
    batches, in_h, in_w, channels = (int(v) for v in in_shape)
    out_b, out_h, out_w, out_c = (int(v) for v in out_shape)
    rows = _first_cells(in_h, out_h, stride_hw[0], dilation_hw[0], pad_hw[0], filter_hw[0])
    cols = _first_cells(in_w, out_w, stride_hw[1], dilation_hw[1], pad_hw[1], filter_hw[1])
    never = np.iinfo(np.int64).max // 4  # a pixel whose window is all padding reads nothing
    pixel_rows = np.repeat(rows, out_w)
    pixel_cols = np.tile(cols, out_h)
    first = np.where((pixel_rows < 0) | (pixel_cols < 0), never, (pixel_rows * in_w + pixel_cols) * channels)
    first = (np.arange(out_b)[:, None] * (in_h * in_w * channels) + first[None, :]).reshape(-1)
    first = np.where(first >= never // 2, never, first)
    # Smallest first cell of the pixels after each pixel.
    later = np.append(np.minimum.accumulate(first[::-1])[::-1][1:], never)
    channel = np.arange(out_c)
    if multiplier is None:
        same_pixel = np.broadcast_to(first[:, None], (first.size, out_c))
    else:
        same_pixel = first[:, None] + (channel[None, :] + 1) // multiplier
    same_pixel = np.where(first[:, None] >= never, never, same_pixel)
    lo = np.where(channel[None, :] < out_c - 1, np.minimum(same_pixel, later[:, None]), later[:, None])
    element = np.arange(first.size * out_c, dtype=np.int64).reshape(first.size, out_c)
    reads_left = lo < never
    if not reads_left.any():
        return 0
    slack = lo[reads_left] * in_itemsize - (element[reads_left] + 1) * out_itemsize
    return int(min(int(slack.min()), 0))
