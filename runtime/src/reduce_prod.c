/*
 * REDUCE_PROD without quantization (see mtvm/reduction.h): float32 in LiteRT's order, int32
 * and int64 wrapping like LiteRT's `current * in`.
 */
#include <stdint.h>

#include "mtvm/reduction.h"

#define MTVM__MUL_F32(a, b) ((a) * (b))
#define MTVM__MUL_S32(a, b) ((int32_t)((uint32_t)(a) * (uint32_t)(b)))
#define MTVM__MUL_S64(a, b) ((int64_t)((uint64_t)(a) * (uint64_t)(b)))

MTVM_DEFINE_REDUCE(mtvm_reduce_prod_f32, float, 1.0f, MTVM__MUL_F32)
MTVM_DEFINE_REDUCE(mtvm_reduce_prod_s32, int32_t, 1, MTVM__MUL_S32)
MTVM_DEFINE_REDUCE(mtvm_reduce_prod_s64, int64_t, 1, MTVM__MUL_S64)
