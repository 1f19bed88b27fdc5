/*
 * Integer ABS and NEG (see mtvm/math.h). The arithmetic is done in the unsigned type of the same
 * width so that the most negative value wraps to itself, as LiteRT computes on its hosts
 * (in C, signed overflow would be undefined behaviour).
 */
#include <stdint.h>

#include "mtvm/math.h"

#define MTVM_DEFINE_INT(NAME, T, U, EXPR)                                        \
  void mtvm_##NAME(const mtvm_unary_params_t* p, const T* in, T* out) {          \
    for (int32_t i = 0; i < p->size; ++i) {                                      \
      const T x = in[i];                                                         \
      const U negated = (U)(0u - (U)x);                                          \
      (void)negated;                                                             \
      out[i] = (T)(EXPR);                                                        \
    }                                                                            \
  }

MTVM_DEFINE_INT(abs_s16, int16_t, uint16_t, x < 0 ? (int32_t)-x : (int32_t)x)
MTVM_DEFINE_INT(abs_s32, int32_t, uint32_t, x < 0 ? negated : (uint32_t)x)
MTVM_DEFINE_INT(neg_s8, int8_t, uint8_t, negated)
MTVM_DEFINE_INT(neg_s16, int16_t, uint16_t, negated)
MTVM_DEFINE_INT(neg_s32, int32_t, uint32_t, negated)
MTVM_DEFINE_INT(neg_s64, int64_t, uint64_t, negated)
