/*
 * REDUCE_MAX (see mtvm/reduction.h). The fold is LiteRT's `(in > current) ? in : current`
 * starting from the lowest value of the type, so a NaN input is never selected (unless it is
 * the first element of an all-dimensions reduction, as in LiteRT).
 */
#include <float.h>
#include <stdint.h>

#include "mtvm/reduction.h"

#define MTVM__MAX(acc, x) (((x) > (acc)) ? (x) : (acc))

MTVM_DEFINE_REDUCE(mtvm_reduce_max_f32, float, -FLT_MAX, MTVM__MAX)
MTVM_DEFINE_REDUCE(mtvm_reduce_max_s8, int8_t, INT8_MIN, MTVM__MAX)
MTVM_DEFINE_REDUCE(mtvm_reduce_max_s16, int16_t, INT16_MIN, MTVM__MAX)
MTVM_DEFINE_REDUCE(mtvm_reduce_max_s32, int32_t, INT32_MIN, MTVM__MAX)
MTVM_DEFINE_REDUCE(mtvm_reduce_max_s64, int64_t, INT64_MIN, MTVM__MAX)
