/* float32 DIV, FLOOR_DIV, FLOOR_MOD, SQUARED_DIFFERENCE, PRELU, ADD_N (see mtvm/arith.h). */
#include <math.h>
#include <stdint.h>

#include "mtvm/arith.h"

static inline float mtvm__div_f32(const mtvm_div_f32_params_t* p, float a, float b) {
  const float q = a / b;
  return q < p->act_min ? p->act_min : (q > p->act_max ? p->act_max : q); /* NaN stays NaN */
}

/*
 * LiteRT's FloorDiv<float> divides in double and floors there; the double quotient of two floats
 * is then rounded to float. The floor is done without libm: below 2^52 by truncation through
 * int64 (and one less for negative non-integers); at or above 2^52, infinities and NaN, every
 * double is its own floor.
 */
static inline float mtvm__floor_div_f32(const mtvm_arith_params_t* p, float a, float b) {
  (void)p;
  const double q = (double)a / (double)b;
  double f = q;
  if (q > -4503599627370496.0 && q < 4503599627370496.0) {
    f = (double)(int64_t)q;
    if (f > q) {
      f -= 1.0;
    }
  }
  return (float)f;
}

/* LiteRT's FloorMod<float>: fmodf (exact), then the divisor added when the remainder is non-zero
   and its sign differs from the divisor's. */
static inline float mtvm__floor_mod_f32(const mtvm_arith_params_t* p, float a, float b) {
  (void)p;
  const float r = fmodf(a, b);
  return (r != 0.0f && ((b < 0.0f) != (r < 0.0f))) ? r + b : r;
}

static inline float mtvm__squared_difference_f32(const mtvm_arith_params_t* p, float a, float b) {
  (void)p;
  const float d = a - b;
  return d * d;
}

static inline float mtvm__prelu_f32(const mtvm_arith_params_t* p, float x, float alpha) {
  (void)p;
  return x >= 0.0f ? x : x * alpha;
}

MTVM_DEFINE_BCAST_BINARY(mtvm_div_f32, float, float, float, mtvm_div_f32_params_t, mtvm__div_f32)
MTVM_DEFINE_BCAST_BINARY(mtvm_floor_div_f32, float, float, float, mtvm_arith_params_t, mtvm__floor_div_f32)
MTVM_DEFINE_BCAST_BINARY(mtvm_floor_mod_f32, float, float, float, mtvm_arith_params_t, mtvm__floor_mod_f32)
MTVM_DEFINE_BCAST_BINARY(mtvm_squared_difference_f32, float, float, float, mtvm_arith_params_t,
                         mtvm__squared_difference_f32)
MTVM_DEFINE_BCAST_BINARY(mtvm_prelu_f32, float, float, float, mtvm_arith_params_t, mtvm__prelu_f32)

void mtvm_add_n_f32(const mtvm_add_n_params_t* p, const float* const* inputs, float* out) {
  for (int32_t i = 0; i < p->size; ++i) {
    float sum = 0.0f;
    for (int32_t k = 0; k < p->count; ++k) {
      sum += inputs[k][i];
    }
    out[i] = sum;
  }
}
