/*
 * REDUCE_MIN (see mtvm/reduction.h): LiteRT's `(in < current) ? in : current` starting from
 * the largest value of the type.
 */
#include <float.h>
#include <stdint.h>

#include "mtvm/reduction.h"

#define MTVM__MIN(acc, x) (((x) < (acc)) ? (x) : (acc))

MTVM_DEFINE_REDUCE(mtvm_reduce_min_f32, float, FLT_MAX, MTVM__MIN)
MTVM_DEFINE_REDUCE(mtvm_reduce_min_s8, int8_t, INT8_MAX, MTVM__MIN)
MTVM_DEFINE_REDUCE(mtvm_reduce_min_s16, int16_t, INT16_MAX, MTVM__MIN)
MTVM_DEFINE_REDUCE(mtvm_reduce_min_s32, int32_t, INT32_MAX, MTVM__MIN)
MTVM_DEFINE_REDUCE(mtvm_reduce_min_s64, int64_t, INT64_MAX, MTVM__MIN)
