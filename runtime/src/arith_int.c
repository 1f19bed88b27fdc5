/*
 * Integer DIV (int32), FLOOR_DIV (int8/16/32), FLOOR_MOD (int8/16/32/64), SQUARED_DIFFERENCE
 * (int32) and ADD_N (int32) on stored values (see mtvm/arith.h). Sums and products wrap in two's
 * complement (done in unsigned arithmetic). A zero divisor, where LiteRT fails the invoke,
 * gives 0; the one overflowing quotient, INT_MIN / -1, gives INT_MIN.
 */
#include <stdint.h>

#include "mtvm/arith.h"

static inline int32_t mtvm__div_s32(const mtvm_div_s32_params_t* p, int32_t a, int32_t b) {
  int32_t q;
  if (b == 0) {
    q = 0;
  } else if (b == -1) {
    q = (int32_t)(0u - (uint32_t)a);
  } else {
    q = a / b;
  }
  return q < p->act_min ? p->act_min : (q > p->act_max ? p->act_max : q);
}

/* floor(a / b) for integers: the truncated quotient, one less when the division was inexact and
   the signs differ. (LiteRT computes it in double, which is exact for these magnitudes.) */
#define MTVM__FLOOR_DIV(T, U)                                                          \
  static inline T mtvm__floor_div_##T(const mtvm_arith_params_t* p, T a, T b) {       \
    (void)p;                                                                           \
    if (b == 0) {                                                                      \
      return 0;                                                                        \
    }                                                                                  \
    if (b == -1) {                                                                     \
      return (T)(U)(0u - (U)a);                                                        \
    }                                                                                  \
    const T q = (T)(a / b);                                                            \
    return (T)((a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q);                      \
  }

/* LiteRT's FloorMod for integers: the truncated remainder plus the divisor when the signs differ. */
#define MTVM__FLOOR_MOD(T)                                                             \
  static inline T mtvm__floor_mod_##T(const mtvm_arith_params_t* p, T a, T b) {       \
    (void)p;                                                                           \
    if (b == 0 || b == -1) {                                                           \
      return 0;                                                                        \
    }                                                                                  \
    const T r = (T)(a % b);                                                            \
    return (T)((r != 0 && ((b < 0) != (r < 0))) ? r + b : r);                          \
  }

MTVM__FLOOR_DIV(int8_t, uint8_t)
MTVM__FLOOR_DIV(int16_t, uint16_t)
MTVM__FLOOR_DIV(int32_t, uint32_t)
MTVM__FLOOR_MOD(int8_t)
MTVM__FLOOR_MOD(int16_t)
MTVM__FLOOR_MOD(int32_t)
MTVM__FLOOR_MOD(int64_t)

static inline int32_t mtvm__squared_difference_s32(const mtvm_arith_params_t* p, int32_t a, int32_t b) {
  (void)p;
  const uint32_t d = (uint32_t)a - (uint32_t)b;
  return (int32_t)(d * d);
}

MTVM_DEFINE_BCAST_BINARY(mtvm_div_s32, int32_t, int32_t, int32_t, mtvm_div_s32_params_t, mtvm__div_s32)
MTVM_DEFINE_BCAST_BINARY(mtvm_floor_div_s8, int8_t, int8_t, int8_t, mtvm_arith_params_t, mtvm__floor_div_int8_t)
MTVM_DEFINE_BCAST_BINARY(mtvm_floor_div_s16, int16_t, int16_t, int16_t, mtvm_arith_params_t, mtvm__floor_div_int16_t)
MTVM_DEFINE_BCAST_BINARY(mtvm_floor_div_s32, int32_t, int32_t, int32_t, mtvm_arith_params_t, mtvm__floor_div_int32_t)
MTVM_DEFINE_BCAST_BINARY(mtvm_floor_mod_s8, int8_t, int8_t, int8_t, mtvm_arith_params_t, mtvm__floor_mod_int8_t)
MTVM_DEFINE_BCAST_BINARY(mtvm_floor_mod_s16, int16_t, int16_t, int16_t, mtvm_arith_params_t, mtvm__floor_mod_int16_t)
MTVM_DEFINE_BCAST_BINARY(mtvm_floor_mod_s32, int32_t, int32_t, int32_t, mtvm_arith_params_t, mtvm__floor_mod_int32_t)
MTVM_DEFINE_BCAST_BINARY(mtvm_floor_mod_s64, int64_t, int64_t, int64_t, mtvm_arith_params_t, mtvm__floor_mod_int64_t)
MTVM_DEFINE_BCAST_BINARY(mtvm_squared_difference_s32, int32_t, int32_t, int32_t, mtvm_arith_params_t,
                         mtvm__squared_difference_s32)

void mtvm_add_n_s32(const mtvm_add_n_params_t* p, const int32_t* const* inputs, int32_t* out) {
  for (int32_t i = 0; i < p->size; ++i) {
    uint32_t sum = 0u;
    for (int32_t k = 0; k < p->count; ++k) {
      sum += (uint32_t)inputs[k][i];
    }
    out[i] = (int32_t)sum;
  }
}
