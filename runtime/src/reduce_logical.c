/*
 * bool reductions (see mtvm/reduction.h); bool tensors hold one byte 0 or 1. ANY is LiteRT's
 * `in || current` from false, ALL its `in && current` from true.
 */
#include <stdint.h>

#include "mtvm/reduction.h"

#define MTVM__OR(acc, x) ((uint8_t)((acc) || (x)))
#define MTVM__AND(acc, x) ((uint8_t)((acc) && (x)))

MTVM_DEFINE_REDUCE(mtvm_reduce_any_b, uint8_t, 0, MTVM__OR)
MTVM_DEFINE_REDUCE(mtvm_reduce_all_b, uint8_t, 1, MTVM__AND)
