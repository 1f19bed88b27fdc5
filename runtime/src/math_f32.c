/*
 * float32 ABS, NEG, CEIL, FLOOR, ROUND, SQRT, RSQRT, SQUARE (see mtvm/math.h). All exact: the
 * results equal LiteRT's bit for bit (sqrtf is correctly rounded by IEEE 754).
 */
#include <math.h>
#include <stdint.h>

#include "mtvm/math.h"

#define MTVM_DEFINE_F32(NAME, EXPR)                                      \
  void mtvm_##NAME##_f32(const mtvm_unary_params_t* p, const float* in, float* out) { \
    for (int32_t i = 0; i < p->size; ++i) {                              \
      const float x = in[i];                                             \
      out[i] = (EXPR);                                                   \
    }                                                                    \
  }

/*
 * TFLite's ROUND rounds half to even (reference_ops::RoundToNearest): the floor, plus one when
 * the fraction is above one half, or exactly one half and the floor is odd. A fraction of one
 * half only happens below 2^23, where the floor fits an int32. NaN and infinities propagate.
 */
static inline float mtvm__round_half_even(float x) {
  const float floor_val = floorf(x);
  const float diff = x - floor_val;
  if (diff < 0.5f || (diff == 0.5f && ((int32_t)floor_val & 1) == 0)) {
    return floor_val;
  }
  return floor_val + 1.0f;
}

MTVM_DEFINE_F32(abs, fabsf(x))
MTVM_DEFINE_F32(neg, -x)
MTVM_DEFINE_F32(ceil, ceilf(x))
MTVM_DEFINE_F32(floor, floorf(x))
MTVM_DEFINE_F32(round, mtvm__round_half_even(x))
MTVM_DEFINE_F32(sqrt, sqrtf(x))
MTVM_DEFINE_F32(rsqrt, 1.0f / sqrtf(x))
MTVM_DEFINE_F32(square, x * x)
