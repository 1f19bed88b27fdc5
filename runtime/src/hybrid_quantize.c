/*
 * On-the-fly input quantization of the hybrid kernels, as LiteRT's tensor_utils
 * SymmetricQuantizeFloats / AsymmetricQuantizeFloats compute it in the x86 build that serves
 * as our reference. That build compiles TFLite's NEON versions through an SSE translation
 * layer, which differ from the portable C versions in three details reproduced here:
 *   - elements in whole groups of 8 are rounded as trunc(v + 0.5f) (trunc(v - 0.5f) below 0),
 *     with the addition rounded in float; the last n % 8 elements use roundf (half away);
 *   - the asymmetric range max - min is subtracted in float, then divided by 255 in double;
 *   - the asymmetric zero point is added after rounding (round(v) + zp, not round(v + zp)).
 * The zero point itself is chosen in double like TFLite's (the bound with the smaller error).
 */
#include "mtvm/hybrid.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* (int32_t)v clamped to [lo, hi]; trunc and clamp commute for integer bounds, and clamping
   first keeps the conversion defined for any v (NaN gives lo, as the SSE conversion does). */
static int32_t trunc_clamp(float v, int32_t lo, int32_t hi) {
  if (!(v > (float)lo)) {
    return lo;
  }
  if (!(v < (float)hi)) {
    return hi;
  }
  return (int32_t)v;
}

static int32_t clamp_i32(int32_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

/* The vector loop's rounding: the sign of v picks -0.5f or +0.5f, added in float. */
static float vector_round_arg(float v) {
  return v + (v < 0.0f ? -0.5f : 0.5f);
}

float mtvm_hybrid_quantize_symmetric(const float* x, int32_t n, int8_t* q) {
  float lo = x[0];
  float hi = x[0];
  for (int32_t i = 1; i < n; ++i) {
    if (x[i] < lo) {
      lo = x[i];
    }
    if (!(x[i] < hi)) {
      hi = x[i];
    }
  }
  const float range = fabsf(lo) < fabsf(hi) ? fabsf(hi) : fabsf(lo);
  if (range == 0.0f) {
    memset(q, 0, (size_t)n);
    return 1.0f;
  }
  const float scale = range / 127.0f;
  const float inv = 127.0f / range;
  const int32_t vector_end = n & ~7;
  int32_t i = 0;
  for (; i < vector_end; ++i) {
    q[i] = (int8_t)trunc_clamp(vector_round_arg(x[i] * inv), -127, 127);
  }
  for (; i < n; ++i) {
    q[i] = (int8_t)trunc_clamp(roundf(inv * x[i]), -127, 127);
  }
  return scale;
}

float mtvm_hybrid_quantize_asymmetric(const float* x, int32_t n, int8_t* q, int32_t* zero_point) {
  float lo = 0.0f;
  float hi = 0.0f;
  for (int32_t i = 0; i < n; ++i) {
    if (x[i] < lo) {
      lo = x[i];
    }
    if (x[i] > hi) {
      hi = x[i];
    }
  }
  if (lo == hi) {
    memset(q, 0, (size_t)n);
    *zero_point = 0;
    return 1.0f;
  }
  const float span = hi - lo; /* in float, as LiteRT's x86 build */
  const double scale = (double)span / 255.0;
  const double from_min = -128.0 - (double)lo / scale;
  const double from_max = 127.0 - (double)hi / scale;
  const double error_min = 128.0 + fabs((double)lo / scale);
  const double error_max = 127.0 + fabs((double)hi / scale);
  const double zp_double = error_min < error_max ? from_min : from_max;
  int32_t zp;
  if (zp_double <= -128.0) {
    zp = -128;
  } else if (zp_double >= 127.0) {
    zp = 127;
  } else {
    zp = (int32_t)round(zp_double);
  }
  *zero_point = zp;
  const float scaling_factor = (float)scale;
  const float inv = (float)(1.0 / (double)scaling_factor);
  const int32_t vector_end = n & ~7;
  int32_t i = 0;
  for (; i < vector_end; ++i) {
    /* LiteRT converts the rounded value to int32 first, then adds the zero point. (|x * inv|
       stays within 255.5, so the wide clamp changes nothing.) */
    q[i] = (int8_t)clamp_i32(trunc_clamp(vector_round_arg(x[i] * inv), -512, 512) + zp, -128, 127);
  }
  for (; i < n; ++i) {
    q[i] = (int8_t)trunc_clamp((float)zp + roundf(inv * x[i]), -128, 127);
  }
  return scaling_factor;
}
