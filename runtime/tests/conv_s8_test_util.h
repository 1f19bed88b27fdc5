/*
 * Shared by the int8 convolution kernel tests: straightforward reference implementations of
 * TFLite's int8 CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED (written from their definitions,
 * not from the kernels), the weight layouts the generator prepares (tools/microtvm/microtvm/ops/
 * conv.py: _pair_rows, _quad_pairs, _fc_row_groups), and random operators.
 */
#ifndef MTVM_CONV_S8_TEST_UTIL_H_
#define MTVM_CONV_S8_TEST_UTIL_H_

#include <stdint.h>
#include <string.h>

#include "mtvm/conv.h"
#include "mtvm_test.h"

/* Sizes of the largest test operator. */
#define T_MAX_INPUT 4096
#define T_MAX_OUTPUT 4096
#define T_MAX_WEIGHTS 4096
#define T_MAX_CHANNELS 64

/* TFLite's MultiplyByQuantizedMultiplier, from gemmlowp's definitions: the left shift, the
   saturating rounding doubling high multiply (nudge, then division truncating toward zero),
   the rounding right shift (halves away from zero). */
static inline int32_t t_mbqm(int32_t x, int32_t multiplier, int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0;
  const int32_t right = shift > 0 ? 0 : -shift;
  const int64_t a = (int64_t)x * ((int64_t)1 << left);
  if (a == INT32_MIN && multiplier == INT32_MIN) {
    return INT32_MAX;
  }
  const int64_t ab = a * multiplier;
  const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : 1 - ((int64_t)1 << 30);
  const int32_t high = (int32_t)((ab + nudge) / ((int64_t)1 << 31));
  if (right == 0) {
    return high;
  }
  const int32_t mask = (int32_t)(((int64_t)1 << right) - 1);
  const int32_t remainder = high & mask;
  const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
  return (high >> right) + (remainder > threshold ? 1 : 0);
}

static inline int8_t t_requantize(int64_t acc, int32_t multiplier, int32_t shift, int32_t zero_point, int32_t lo,
                                  int32_t hi) {
  int32_t v = t_mbqm((int32_t)acc, multiplier, shift) + zero_point;
  v = v < lo ? lo : (v > hi ? hi : v);
  return (int8_t)v;
}

/* A random int8 operator: quantization, requantization and activation range. */
typedef struct {
  int32_t input_zp, output_zp, act_min, act_max;
  int32_t bias[T_MAX_CHANNELS];
  int32_t requant[2 * T_MAX_CHANNELS]; /* multiplier, shift per channel */
} t_quant_t;

/* `fast`: within the short requantization's contract (right shifts, the whole int8 range; the
   accumulators of the test sizes stay far below 2^30); else any shift and a narrower range. */
static inline void t_random_quant(uint32_t* rng, int32_t channels, int fast, t_quant_t* q) {
  q->input_zp = mtvm_test_int(rng, -128, 127);
  q->output_zp = mtvm_test_int(rng, -128, 127);
  q->act_min = fast ? -128 : mtvm_test_int(rng, -128, -20);
  q->act_max = fast ? 127 : mtvm_test_int(rng, 20, 127);
  for (int32_t c = 0; c < channels; ++c) {
    q->bias[c] = mtvm_test_int(rng, -20000, 20000);
    q->requant[2 * c] = (int32_t)(0x40000000u + (mtvm_test_next(rng) & 0x3FFFFFFFu)); /* [2^30, 2^31) */
    q->requant[2 * c + 1] = fast ? mtvm_test_int(rng, -14, -6) : mtvm_test_int(rng, -14, 1);
  }
}

/* A geometry with SAME-style padding (TFLite puts the odd pixel at the bottom/right). */
static inline mtvm_conv_geometry_t t_geometry(int32_t batches, int32_t in_h, int32_t in_w, int32_t in_c,
                                              int32_t out_c, int32_t fh, int32_t fw, int32_t stride,
                                              int32_t dilation, int same) {
  mtvm_conv_geometry_t g;
  const int32_t span_h = (fh - 1) * dilation + 1, span_w = (fw - 1) * dilation + 1;
  g.batches = batches;
  g.in_h = in_h;
  g.in_w = in_w;
  g.in_c = in_c;
  g.out_c = out_c;
  g.filter_h = fh;
  g.filter_w = fw;
  g.stride_h = g.stride_w = stride;
  g.dilation_h = g.dilation_w = dilation;
  g.out_h = same ? (in_h + stride - 1) / stride : (in_h - span_h) / stride + 1;
  g.out_w = same ? (in_w + stride - 1) / stride : (in_w - span_w) / stride + 1;
  const int32_t total_h = (g.out_h - 1) * stride + span_h - in_h;
  const int32_t total_w = (g.out_w - 1) * stride + span_w - in_w;
  g.pad_top = total_h > 0 ? total_h / 2 : 0;
  g.pad_left = total_w > 0 ? total_w / 2 : 0;
  return g;
}

/* CONV_2D (ConvPerChannel): weights OHWI with filter_in_c input channels per group. */
static inline void t_conv_reference(const mtvm_conv_geometry_t* g, int32_t fic, const int8_t* input,
                                    const int8_t* weights, const t_quant_t* q, int8_t* output) {
  const int32_t per_group = g->out_c / (g->in_c / fic);
  for (int32_t b = 0; b < g->batches; ++b) {
    for (int32_t oy = 0; oy < g->out_h; ++oy) {
      for (int32_t ox = 0; ox < g->out_w; ++ox) {
        for (int32_t oc = 0; oc < g->out_c; ++oc) {
          int64_t acc = q->bias[oc];
          for (int32_t ky = 0; ky < g->filter_h; ++ky) {
            for (int32_t kx = 0; kx < g->filter_w; ++kx) {
              const int32_t iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
              const int32_t ix = ox * g->stride_w - g->pad_left + kx * g->dilation_w;
              if (iy < 0 || iy >= g->in_h || ix < 0 || ix >= g->in_w) {
                continue; /* the input zero point: (zp - zp) * w = 0 */
              }
              for (int32_t i = 0; i < fic; ++i) {
                const int32_t x = input[((b * g->in_h + iy) * g->in_w + ix) * g->in_c + (oc / per_group) * fic + i];
                const int32_t w = weights[((oc * g->filter_h + ky) * g->filter_w + kx) * fic + i];
                acc += (int64_t)(x - q->input_zp) * w;
              }
            }
          }
          output[((b * g->out_h + oy) * g->out_w + ox) * g->out_c + oc] =
              t_requantize(acc, q->requant[2 * oc], q->requant[2 * oc + 1], q->output_zp, q->act_min, q->act_max);
        }
      }
    }
  }
}

/* DEPTHWISE_CONV_2D (DepthwiseConvPerChannel): weights [fh][fw][out_c]. */
static inline void t_depthwise_reference(const mtvm_conv_geometry_t* g, const int8_t* input, const int8_t* weights,
                                         const t_quant_t* q, int8_t* output) {
  const int32_t mult = g->out_c / g->in_c;
  for (int32_t b = 0; b < g->batches; ++b) {
    for (int32_t oy = 0; oy < g->out_h; ++oy) {
      for (int32_t ox = 0; ox < g->out_w; ++ox) {
        for (int32_t oc = 0; oc < g->out_c; ++oc) {
          int64_t acc = q->bias[oc];
          for (int32_t ky = 0; ky < g->filter_h; ++ky) {
            for (int32_t kx = 0; kx < g->filter_w; ++kx) {
              const int32_t iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
              const int32_t ix = ox * g->stride_w - g->pad_left + kx * g->dilation_w;
              if (iy < 0 || iy >= g->in_h || ix < 0 || ix >= g->in_w) {
                continue;
              }
              const int32_t x = input[((b * g->in_h + iy) * g->in_w + ix) * g->in_c + oc / mult];
              acc += (int64_t)(x - q->input_zp) * weights[(ky * g->filter_w + kx) * g->out_c + oc];
            }
          }
          output[((b * g->out_h + oy) * g->out_w + ox) * g->out_c + oc] =
              t_requantize(acc, q->requant[2 * oc], q->requant[2 * oc + 1], q->output_zp, q->act_min, q->act_max);
        }
      }
    }
  }
}

/* bias + input_offset * sum(the weights of each channel): rows [channels][n]. */
static inline void t_fold_bias(const int8_t* rows, int32_t channels, int32_t n, int32_t stride_channel,
                               int32_t stride_k, int32_t input_offset, const int32_t* bias, int32_t* folded) {
  for (int32_t c = 0; c < channels; ++c) {
    int32_t sum = 0;
    for (int32_t k = 0; k < n; ++k) {
      sum += rows[c * stride_channel + k * stride_k];
    }
    folded[c] = bias[c] + input_offset * sum;
  }
}

/* MTVM_CONV_PAIRS / MTVM_CONV_GATHER weights: rows [out_c][n] padded with zeros to `padded`
   (a multiple of 4) bytes, within each group of `per_group` rows pairs interleaved in 4-byte
   chunks ([r0 k0..3][r1 k0..3][r0 k4..7]...), an odd last row of a group as it is. */
static inline void t_pair_rows(const int8_t* rows, int32_t out_c, int32_t n, int32_t padded, int32_t per_group,
                               int8_t* out) {
  int32_t o = 0;
  for (int32_t start = 0; start < out_c; start += per_group) {
    int32_t r = start;
    for (; r + 2 <= start + per_group; r += 2) {
      for (int32_t chunk = 0; chunk < padded; chunk += 4) {
        for (int32_t row = 0; row < 2; ++row) {
          for (int32_t i = 0; i < 4; ++i) {
            const int32_t k = chunk + i;
            out[o++] = k < n ? rows[(r + row) * n + k] : 0;
          }
        }
      }
    }
    if (r < start + per_group) {
      for (int32_t k = 0; k < padded; ++k) {
        out[o++] = k < n ? rows[r * n + k] : 0;
      }
    }
  }
}

#endif /* MTVM_CONV_S8_TEST_UTIL_H_ */
