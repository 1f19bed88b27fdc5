/*
 * SUM without requantization (see mtvm/reduction.h): float32 in LiteRT's order, integers
 * wrapping like LiteRT's `current + in` on the element type.
 */
#include <stdint.h>

#include "mtvm/reduction.h"

#define MTVM__ADD_F32(a, b) ((a) + (b))
#define MTVM__ADD_S32(a, b) ((int32_t)((uint32_t)(a) + (uint32_t)(b)))
#define MTVM__ADD_S64(a, b) ((int64_t)((uint64_t)(a) + (uint64_t)(b)))

MTVM_DEFINE_REDUCE(mtvm_reduce_sum_f32, float, 0.0f, MTVM__ADD_F32)
MTVM_DEFINE_REDUCE(mtvm_reduce_sum_s32, int32_t, 0, MTVM__ADD_S32)
MTVM_DEFINE_REDUCE(mtvm_reduce_sum_s64, int64_t, 0, MTVM__ADD_S64)
