/*
 * TRANSPOSE_CONV: float32, int8 (per-channel weights, int32 bias) and 16x8 (int16 activations
 * with zero point 0, int8 weights, int64 or int32 bias).
 *
 * TFLite's operands are (output_shape, weights [out_c][filter_h][filter_w][in_c], input, bias);
 * the generator checks the constant output_shape against the output tensor and passes only the
 * data input. The geometry is mtvm_conv_geometry_t (mtvm/conv.h) with in_* the data input, out_*
 * the output and no dilation; pad_top/pad_left are TFLite's: the padding a convolution of the
 * output's size would get (ComputePaddingHeightWidth on the output size), so that input pixel
 * (iy, ix) feeds outputs (iy * stride_h - pad_top + fy, ix * stride_w - pad_left + fx).
 *
 * LiteRT's reference kernels scatter every input pixel into a zeroed accumulator buffer; the
 * kernels here gather instead (no scratch buffer): each output sums the input pixels that reach
 * it, in increasing input row, column and channel, which is the order in which LiteRT's scatter
 * adds them (so float32 sums are the same to the last bit), then adds the bias last. Requantization:
 *   - int8: the int32 accumulator (sum of (x + input_offset) * w, wrapping like LiteRT's int32
 *     buffer) with the 32-bit two-rounding MultiplyByQuantizedMultiplier, plus the output zero
 *     point, clamped;
 *   - 16x8: mtvm_requantize_s16 of mtvm/conv.h (64-bit MultiplyByQuantizedMultiplier for an int64
 *     bias or none, the int32 accumulator and 32-bit one with quantized_bias_type INT32).
 */
#ifndef MTVM_TRANSPOSE_CONV_H_
#define MTVM_TRANSPOSE_CONV_H_

#include <stdint.h>

#include "mtvm/conv.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  mtvm_conv_geometry_t g;
  float act_min, act_max;
  const float* weights; /* [out_c][filter_h][filter_w][in_c] */
  const float* bias;    /* [out_c] or NULL */
} mtvm_transpose_conv_f32_params_t;

typedef struct {
  mtvm_conv_geometry_t g;
  int32_t input_offset;  /* -input zero point */
  int32_t output_offset; /* output zero point */
  int32_t act_min, act_max;
  const int8_t* weights;  /* [out_c][filter_h][filter_w][in_c] */
  const int32_t* bias;    /* [out_c] or NULL */
  const int32_t* requant; /* [out_c][2]: q31 multiplier, shift */
} mtvm_transpose_conv_s8_params_t;

typedef struct {
  mtvm_conv_geometry_t g;
  int32_t act_min, act_max;
  int32_t requant_mode;   /* MTVM_S16_REQUANT_* (mtvm/conv.h) */
  const int8_t* weights;  /* [out_c][filter_h][filter_w][in_c] */
  const int64_t* bias;    /* [out_c] or NULL (an int32 bias widened) */
  const int32_t* requant; /* [out_c][2]: q31 multiplier, shift */
} mtvm_transpose_conv_s16_params_t;

/* The filter taps along one axis that reach output coordinate o: the first tap index f0 and the
   matching input index i0 (tap f0 - k * stride reads input i0 + k), and how many there are.
   Taps f with (o + pad - f) divisible by stride and the input (o + pad - f) / stride inside
   [0, in_size), in increasing input order (decreasing f). */
static inline int32_t mtvm_transpose_conv_taps(int32_t o, int32_t pad, int32_t stride, int32_t filter,
                                               int32_t in_size, int32_t* f0, int32_t* i0) {
  const int32_t t = o + pad; /* f = t - i * stride */
  /* smallest input i with f = t - i * stride <= filter - 1, i >= 0 */
  int32_t lo = t - (filter - 1) <= 0 ? 0 : (t - (filter - 1) + stride - 1) / stride;
  /* largest i with f >= 0, i < in_size */
  int32_t hi = t < 0 ? -1 : t / stride;
  if (hi > in_size - 1) {
    hi = in_size - 1;
  }
  *i0 = lo;
  *f0 = t - lo * stride;
  return hi >= lo ? hi - lo + 1 : 0;
}

void mtvm_transpose_conv_f32(const mtvm_transpose_conv_f32_params_t* p, const float* input, float* output);
void mtvm_transpose_conv_s8(const mtvm_transpose_conv_s8_params_t* p, const int8_t* input, int8_t* output);
void mtvm_transpose_conv_s16(const mtvm_transpose_conv_s16_params_t* p, const int16_t* input, int16_t* output);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_TRANSPOSE_CONV_H_ */
