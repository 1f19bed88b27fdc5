/*
 * Normalizations: L2_POOL_2D (float32), L2_NORMALIZATION (float32, int8) and LOG_SOFTMAX
 * (float32, int8), reproducing LiteRT's reference kernels: float kernels in the same order of
 * operations, int8 kernels with the same gemmlowp fixed-point arithmetic, bit for bit.
 *
 * The code generator (tools/microtvm/microtvm/ops/normalize.py) computes everything that does
 * not depend on the data: pooling geometry, LOG_SOFTMAX's input and reverse multipliers (TFLite's
 * PreprocessLogSoftmaxScalingExp) and its two 256-entry tables (the rescaled difference and its
 * exponential, both functions of max - x only). What depends on a row's data (int8 L2
 * normalization's inverse square root, LOG_SOFTMAX's logarithm of the sum) is computed here.
 */
#ifndef MTVM_NORMALIZE_H_
#define MTVM_NORMALIZE_H_

#include <math.h> /* INFINITY in parameter structs */
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- L2_POOL_2D (NHWC, float32) ------------------------------------------------------------ */

typedef struct {
  int32_t batches;
  int32_t in_h;
  int32_t in_w;
  int32_t channels;
  int32_t out_h;
  int32_t out_w;
  int32_t filter_h;
  int32_t filter_w;
  int32_t stride_h;
  int32_t stride_w;
  int32_t pad_h; /* padding before the first row (SAME: the smaller half, as TFLite) */
  int32_t pad_w;
  float act_min; /* fused activation range */
  float act_max;
} mtvm_l2_pool_params_t;

/* sqrt(sum of squares / cells) over the window cells inside the input, then the clamp. */
void mtvm_l2_pool2d_f32(const mtvm_l2_pool_params_t* p, const float* input, float* output);

/* ---- L2_NORMALIZATION over the last axis ----------------------------------------------------- */

typedef struct {
  int32_t outer; /* rows */
  int32_t depth; /* elements per row (last dimension) */
  int32_t input_zero_point; /* int8 only */
} mtvm_l2_norm_params_t;

/* x / max(sqrt(sum x^2), 1e-6f), as LiteRT's reference (epsilon 1e-6f). */
void mtvm_l2_norm_f32(const mtvm_l2_norm_params_t* p, const float* input, float* output);
/* LiteRT's integer path: acc = sum (x - zp)^2, GetInvSqrtQuantizedMultiplierExp(acc) and
   out = clamp(MBQM(x - zp, inv_sqrt, shift + 7)) on the fixed output scale 1/128, zero point 0. */
void mtvm_l2_norm_s8(const mtvm_l2_norm_params_t* p, const int8_t* input, int8_t* output);

/* ---- LOG_SOFTMAX over the last axis ------------------------------------------------------------ */

typedef struct {
  int32_t outer;
  int32_t depth;
  int32_t diff_min;           /* int8: -CalculateInputRadius(5, input_left_shift) */
  int32_t reverse_multiplier; /* int8: QuantizeMultiplierSmallerThanOneExp of the reverse scaling */
  int32_t reverse_shift;      /* int8: its (non-positive) shift, applied with MBQM */
} mtvm_log_softmax_params_t;

/* x - max - log(sum exp(x - max)), with expf/logf in LiteRT's order. */
void mtvm_log_softmax_f32(const mtvm_log_softmax_params_t* p, const float* input, float* output);
/*
 * int8 (LiteRT's reference_integer_ops::LogSoftmax; output scale 16/256, zero point 127).
 * exp_q12[d] is exp of the rescaled difference -d as a Q12.19 term of the sum (0 for differences
 * below diff_min); diff_q5[d] is the rescaled difference itself, Q5.26.
 */
void mtvm_log_softmax_s8(const mtvm_log_softmax_params_t* p, const int32_t* exp_q12, const int32_t* diff_q5,
                         const int8_t* input, int8_t* output);

/* gemmlowp's SaturatingRoundingMultiplyByPOT for an exponent >= 0 (a saturating left shift). */
static inline int32_t mtvm_saturating_shift_left(int32_t x, int exponent) {
  if (exponent == 0) return x;
  {
    const int32_t threshold = (int32_t)(((uint32_t)1 << (31 - exponent)) - 1u);
    if (x > threshold) return INT32_MAX;
    if (x < -threshold) return INT32_MIN;
    return (int32_t)((uint32_t)x << exponent);
  }
}

/* Count of leading zero bits of a 32-bit value (32 for 0). */
static inline int mtvm_clz32(uint32_t x) {
  int n = 0;
  if (x == 0) return 32;
  while (!(x & 0x80000000u)) {
    x <<= 1;
    ++n;
  }
  return n;
}

#ifdef __cplusplus
}
#endif

#endif /* MTVM_NORMALIZE_H_ */
