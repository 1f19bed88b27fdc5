/*
 * int32 and int64 ADD, SUB, MUL with broadcasting (see mtvm/elementwise.h). The arithmetic is done
 * in the unsigned type of the same width, so overflow wraps (two's complement) instead of being
 * undefined behaviour in C; the result is clamped to the fused activation's range.
 */
#include <stdint.h>

#include "mtvm/broadcast.h"
#include "mtvm/elementwise.h"

#define MTVM_INT_ELEM(NAME, T, U, P, OP)                                 \
  static inline T mtvm_##NAME##_elem(const P* p, T a, T b) {             \
    const T v = (T)((U)a OP(U) b);                                       \
    return v < p->act_min ? p->act_min : (v > p->act_max ? p->act_max : v); \
  }

MTVM_INT_ELEM(add_s32, int32_t, uint32_t, mtvm_arith_s32_params_t, +)
MTVM_INT_ELEM(sub_s32, int32_t, uint32_t, mtvm_arith_s32_params_t, -)
MTVM_INT_ELEM(mul_s32, int32_t, uint32_t, mtvm_arith_s32_params_t, *)
MTVM_INT_ELEM(add_s64, int64_t, uint64_t, mtvm_arith_s64_params_t, +)
MTVM_INT_ELEM(sub_s64, int64_t, uint64_t, mtvm_arith_s64_params_t, -)
MTVM_INT_ELEM(mul_s64, int64_t, uint64_t, mtvm_arith_s64_params_t, *)

MTVM_DEFINE_BCAST_BINARY(mtvm_add_s32, int32_t, int32_t, int32_t, mtvm_arith_s32_params_t, mtvm_add_s32_elem)
MTVM_DEFINE_BCAST_BINARY(mtvm_sub_s32, int32_t, int32_t, int32_t, mtvm_arith_s32_params_t, mtvm_sub_s32_elem)
MTVM_DEFINE_BCAST_BINARY(mtvm_mul_s32, int32_t, int32_t, int32_t, mtvm_arith_s32_params_t, mtvm_mul_s32_elem)
MTVM_DEFINE_BCAST_BINARY(mtvm_add_s64, int64_t, int64_t, int64_t, mtvm_arith_s64_params_t, mtvm_add_s64_elem)
MTVM_DEFINE_BCAST_BINARY(mtvm_sub_s64, int64_t, int64_t, int64_t, mtvm_arith_s64_params_t, mtvm_sub_s64_elem)
MTVM_DEFINE_BCAST_BINARY(mtvm_mul_s64, int64_t, int64_t, int64_t, mtvm_arith_s64_params_t, mtvm_mul_s64_elem)
