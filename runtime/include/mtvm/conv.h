/*
 * Convolution family: CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, int8, 16x8 and float32.
 *
 * One source file per kernel variant, so that a model ships only the kernels it calls:
 *   int8     conv_s8_plain.c, conv_s8_1x1.c, conv_s8_window.c, depthwise_conv_s8_plain.c,
 *            depthwise_conv_s8_quads.c, fully_connected_s8.c (sharing the family-internal
 *            conv_internal.h: requantization and windows, and conv_mac_s8.h: the inner
 *            multiply-accumulate loops);
 *   16x8     conv_s16.c, depthwise_conv_s16.c, fully_connected_s16.c (see the section further
 *            down);
 *   float32  conv_f32.c, depthwise_conv_f32.c, fully_connected_f32.c.
 *
 * Activations are NHWC, as in TFLite. The code generator (tools/microtvm/microtvm/ops/conv.py)
 * prepares every constant at generation time and emits one `static const` parameter struct per
 * operator:
 *   - the int8 weights, rearranged for the loop that will read them (the `layout` field; the
 *     float32 weights keep TFLite's layouts: CONV_2D OHWI, DEPTHWISE_CONV_2D [1, H, W, out_c],
 *     FULLY_CONNECTED [out_c, in]),
 *   - the bias folded with the input zero point,
 *       folded_bias[oc] = bias[oc] + input_offset * sum(weights[oc]),
 *     so that the inner loops are plain int8 x int8 dot products. Window taps outside the image
 *     read the input zero point instead (a row of it, `pad`), which contributes
 *     (zero_point + input_offset) * w = 0: the same sum as skipping them,
 *   - the requantization constants and the fused activation as a clamp range in the output's
 *     quantized domain.
 *
 * Rounding (both match LiteRT 2.3.0's reference kernels, BUILTIN_REF, bit for bit):
 *   - CONV_2D and DEPTHWISE_CONV_2D int8: TFLite's MultiplyByQuantizedMultiplier with a
 *     per-channel q31 multiplier and shift, i.e. two roundings (rounding doubling high
 *     multiply, then rounding right shift); see mtvm/quant.h. The kernels without the
 *     _general suffix use an equivalent shorter form (see conv_internal.h), valid when every
 *     accumulator stays below 2^30 in magnitude, every shift is a right shift and the
 *     activation clamps to nothing narrower than int8: the generator calls them only when it
 *     has proved that.
 *   - FULLY_CONNECTED int8: LiteRT's reference kernel rounds once: the int32 accumulator is
 *     multiplied in double precision by input_scale * filter_scale / output_scale and rounded
 *     half away from zero (TFLite Micro rounds twice, as the convolutions do, and so differs
 *     by one on rare ties). The kernel computes the same result in integers,
 *     round(|acc| * multiplier / 2^(32 + shift)) with the sign of acc, with a multiplier and
 *     shift the generator has checked against the double computation for every int32
 *     accumulator; the double form remains for scales where no such pair exists (`scales`
 *     non-NULL: a scale of 1/2 or more, or a product that rounds to a tie in double).
 *
 * On Cortex-M cores with the DSP extension (__ARM_FEATURE_DSP) the int8 kernels use dual 16-bit
 * multiply-accumulates (SMLAD); elsewhere portable C computes the same integers.
 */
#ifndef MTVM_CONV_H_
#define MTVM_CONV_H_

#include <math.h> /* INFINITY: the float clamp bounds of an activation of NONE or RELU */
#include <stdint.h>
#include <string.h>

#include "mtvm/quant.h"

/* The 16x8 dot product below uses SMLALD on cores with the DSP extension. */
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
#define MTVM_CONV_S16_DSP 1
#include <arm_acle.h>
#else
#define MTVM_CONV_S16_DSP 0
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Window geometry shared by CONV_2D and DEPTHWISE_CONV_2D. pad_top/pad_left are TFLite's
   (SAME padding puts the odd pixel at the bottom/right). */
typedef struct {
  int32_t batches;
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t filter_h, filter_w;
  int32_t stride_h, stride_w;
  int32_t dilation_h, dilation_w;
  int32_t pad_top, pad_left;
} mtvm_conv_geometry_t;

/* The most window taps (filter_h * filter_w) the fast int8 loops handle; the lowering picks
   the plain layout beyond. */
#define MTVM_CONV_MAX_TAPS 25
/* The largest window (filter_h * filter_w * filter_in_c, rounded up to 4 bytes) that the
   CONV_2D kernel copies to the stack for MTVM_CONV_GATHER (two windows at a time). */
#define MTVM_CONV_MAX_GATHER 160

/* Weight layouts of the int8 CONV_2D (`layout`). */
enum {
  /* OHWI as in the model: the general loop (any window, groups, channel count). */
  MTVM_CONV_PLAIN = 0,
  /* filter_in_c % 4 == 0: within each group, output channels in pairs whose weights are
     interleaved in 4-byte chunks ([oc0 k0..3][oc1 k0..3][oc0 k4..7]...); an odd last channel of
     a group keeps its plain row. The kernel reads each tap's channels straight from the input. */
  MTVM_CONV_PAIRS = 1,
  /* The same pairs over each window padded with zero weights to a multiple of 4 bytes; the
     kernel copies each window to the stack first (for few input channels, e.g. an RGB input). */
  MTVM_CONV_GATHER = 2,
};

/* Weight layouts of the int8 DEPTHWISE_CONV_2D (`layout`). */
enum {
  /* [filter_h][filter_w][out_c] as in the model: the general loop (any depth multiplier). */
  MTVM_DW_PLAIN = 0,
  /* depth_multiplier == 1, in `weight_pairs`: channels in groups of four, each group's taps
     together, two words per tap holding the weights as signed 16-bit halves (bits 0..15 and
     16..31): channels 0 and 2, then channels 1 and 3 ([c0,c2 tap0][c1,c3 tap0][c0,c2 tap1]...);
     then the last out_c % 4 channels, one weight per word, as [tap][channel]. */
  MTVM_DW_QUADS = 1,
};

/* CONV_2D, int8. Grouped convolution when filter_in_c < in_c (groups = in_c / filter_in_c). */
typedef struct {
  mtvm_conv_geometry_t g;
  int32_t filter_in_c;
  int32_t input_offset;  /* -input zero point */
  int32_t output_offset; /* output zero point */
  int32_t act_min, act_max;
  int32_t layout;        /* MTVM_CONV_* */
  const int8_t* weights;
  const int32_t* folded_bias; /* [out_c]: bias + input_offset * sum(weights of oc) */
  const int32_t* requant;     /* [out_c][2]: q31 multiplier, shift */
  const int8_t* pad; /* MTVM_CONV_PAIRS with windows crossing the border: filter_w * filter_in_c
                        bytes of the input zero point; else NULL */
} mtvm_conv2d_s8_params_t;

/* DEPTHWISE_CONV_2D, int8. out_c = in_c * depth_multiplier; output channel
   oc = ic * depth_multiplier + m reads input channel ic. */
typedef struct {
  mtvm_conv_geometry_t g;
  int32_t depth_multiplier;
  int32_t input_offset;
  int32_t output_offset;
  int32_t act_min, act_max;
  int32_t layout;       /* MTVM_DW_* */
  const int8_t* weights;       /* MTVM_DW_PLAIN, else NULL */
  const int32_t* weight_pairs; /* MTVM_DW_QUADS, else NULL */
  const int32_t* folded_bias; /* [out_c] */
  const int32_t* requant;     /* [out_c][2]: q31 multiplier, shift */
  const int8_t* pad; /* MTVM_DW_QUADS with windows crossing the border: in_c bytes of the input
                        zero point; else NULL */
} mtvm_depthwise_conv2d_s8_params_t;

/* FULLY_CONNECTED, int8. The input is read as [batches][accum_depth]. Weights: output channels
   in groups of four whose rows are interleaved in 4-byte chunks ([r0 k0..3][r1 k0..3][r2 k0..3]
   [r3 k0..3][r0 k4..7]...), each group followed by its four rows' last accum_depth % 4 bytes;
   then the last out_c % 4 rows as they are. */
typedef struct {
  int32_t batches;
  int32_t accum_depth;
  int32_t out_c;
  int32_t filter_offset;       /* -filter zero point (per-tensor weights only; else 0) */
  int32_t output_offset;
  int32_t act_min, act_max;
  const int8_t* weights;
  /* bias + input_offset * sum(w) + accum_depth * input_offset * filter_offset */
  const int32_t* folded_bias;  /* [out_c] */
  /* Integer rounding, round(|acc| * multiplier / 2^(32 + shift)) with the sign of acc
     (1 <= shift <= 31): per-tensor `multiplier`/`shift`, or per channel when the arrays are set. */
  uint32_t multiplier;
  int32_t shift;
  const uint32_t* channel_multipliers; /* [out_c] or NULL */
  const int32_t* channel_shifts;       /* [out_c] or NULL */
  /* Non-NULL: round in double with these scales instead ([out_c], or one for per-tensor). */
  const double* scales;
  int32_t per_channel_scales;
} mtvm_fully_connected_s8_params_t;

typedef struct {
  mtvm_conv_geometry_t g;
  int32_t filter_in_c;
  float act_min, act_max;
  const float* weights; /* OHWI */
  const float* bias;    /* [out_c] or NULL */
} mtvm_conv2d_f32_params_t;

typedef struct {
  mtvm_conv_geometry_t g;
  int32_t depth_multiplier;
  float act_min, act_max;
  const float* weights; /* [filter_h][filter_w][out_c] */
  const float* bias;    /* [out_c] or NULL */
} mtvm_depthwise_conv2d_f32_params_t;

typedef struct {
  int32_t batches;
  int32_t accum_depth;
  int32_t out_c;
  float act_min, act_max;
  const float* weights; /* [out_c][accum_depth] */
  const float* bias;    /* [out_c] or NULL */
} mtvm_fully_connected_f32_params_t;

/* ---- 16x8: int16 activations (zero point 0), int8 weights ----------------------------------
 *
 * LiteRT's reference kernels (BUILTIN_REF) accumulate int16 x int8 products in 64 bits and
 * requantize in one of three ways, which the generator picks from the operator and its bias type
 * (the kernels here compute the same integers):
 *   - CONV_2D and DEPTHWISE_CONV_2D with an int64 bias (or none): TFLite's 64-bit
 *     MultiplyByQuantizedMultiplier (mtvm_mbqm_s64 below), MTVM_S16_REQUANT_INT64;
 *   - CONV_2D with an int32 bias (quantized_bias_type INT32): the sum is kept in int32 (it wraps
 *     like LiteRT's int32 accumulator) and requantized with the 32-bit, two-rounding
 *     MultiplyByQuantizedMultiplier of mtvm/quant.h, MTVM_S16_REQUANT_INT32;
 *   - FULLY_CONNECTED: like its int8 kernel, once in double, round(acc * scale) half away from
 *     zero (acc wrapped to int32 first for an int32 bias).
 * Biases are stored as int64 whatever the model's type: with MTVM_S16_REQUANT_INT32, adding in
 * 64 bits and wrapping once gives the int32 sum.
 *
 * The weight rows (CONV_2D: each output channel's taps, each tap filter_in_c weights;
 * FULLY_CONNECTED: each unit's accum_depth weights) are stored with every aligned group of four
 * weights reordered as w0 w2 w1 w3 (a last group of fewer than four stays as it is), so that on
 * cores with the DSP extension SXTB16 of the four bytes gives the pair (w0, w1) and SXTB16 of
 * the bytes rotated by 8 the pair (w2, w3), lined up with two words of int16 inputs for SMLALD.
 */
enum {
  MTVM_S16_REQUANT_INT64 = 0,
  MTVM_S16_REQUANT_INT32 = 1,
};

/* TFLite's MultiplyByQuantizedMultiplier(int64_t x, int32_t multiplier, int shift): the q31
   multiplier rounded to 16 bits (saturated at 0x7FFF), one rounding shift by 15 - shift
   (shift <= 14, checked by the generator), and the low 32 bits of the result, as LiteRT's
   conversion to int32 keeps them. The products are formed in unsigned arithmetic so that an
   out-of-contract accumulator wraps as it does in LiteRT instead of being undefined. */
static inline int32_t mtvm_mbqm_s64(int64_t x, int32_t multiplier, int32_t shift) {
  const int64_t reduced = multiplier < 0x7FFF0000 ? (((int64_t)multiplier + (1 << 15)) >> 16) : 0x7FFF;
  const int total_shift = 15 - (int)shift;
  const uint64_t sum = (uint64_t)x * (uint64_t)reduced + ((uint64_t)1 << (total_shift - 1));
  const int64_t shifted = (int64_t)sum >> total_shift; /* arithmetic shift, as in C++ */
  const uint32_t low = (uint32_t)(uint64_t)shifted;
  return low >= 0x80000000u ? -(int32_t)(~low) - 1 : (int32_t)low;
}

/* x wrapped to int32 (two's complement), without implementation-defined conversions. */
static inline int32_t mtvm_wrap_s32(int64_t x) {
  const uint32_t low = (uint32_t)(uint64_t)x;
  return low >= 0x80000000u ? -(int32_t)(~low) - 1 : (int32_t)low;
}

/* The int16 output of a 16x8 convolution accumulator (MTVM_S16_REQUANT_*), clamped. */
static inline int16_t mtvm_requantize_s16(int64_t acc, int32_t multiplier, int32_t shift, int32_t mode,
                                          int32_t act_min, int32_t act_max) {
  const int32_t v = mode == MTVM_S16_REQUANT_INT32
                        ? mtvm_multiply_by_quantized_multiplier(mtvm_wrap_s32(acc), multiplier, shift)
                        : mtvm_mbqm_s64(acc, multiplier, shift);
  return (int16_t)mtvm_clamp_i32(v, act_min, act_max);
}

/* CONV_2D, 16x8. Weights OHWI with the groups of four reordered (see above). */
typedef struct {
  mtvm_conv_geometry_t g;
  int32_t filter_in_c;
  int32_t act_min, act_max;
  int32_t requant_mode;   /* MTVM_S16_REQUANT_* */
  const int8_t* weights;
  const int64_t* bias;    /* [out_c] or NULL */
  const int32_t* requant; /* [out_c][2]: q31 multiplier, shift */
} mtvm_conv2d_s16_params_t;

/* DEPTHWISE_CONV_2D, 16x8 (LiteRT takes only an int64 bias here). Weights as in the model,
   [filter_h][filter_w][out_c]. */
typedef struct {
  mtvm_conv_geometry_t g;
  int32_t depth_multiplier;
  int32_t act_min, act_max;
  const int8_t* weights;
  const int64_t* bias;    /* [out_c] or NULL */
  const int32_t* requant; /* [out_c][2]: q31 multiplier, shift */
} mtvm_depthwise_conv2d_s16_params_t;

/* FULLY_CONNECTED, 16x8. Weights [out_c][accum_depth] with the groups of four reordered. */
typedef struct {
  int32_t batches;
  int32_t accum_depth;
  int32_t out_c;
  int32_t filter_offset;  /* -filter zero point (per-tensor weights only; else 0) */
  int32_t act_min, act_max;
  int32_t wrap_s32;       /* 1: the accumulator is int32 (an int32 bias), wrapped like LiteRT's */
  const int8_t* weights;
  const int64_t* bias;    /* [out_c] or NULL */
  const double* scales;   /* input_scale * filter_scale / output_scale: [out_c], or one */
  int32_t per_channel_scales;
} mtvm_fully_connected_s16_params_t;

/* sum(x[i] * w[i]) over n int16 inputs and n int8 weights in the reordered groups of four.
   Portable C, or two SMLALD per group (64-bit accumulation, exact like LiteRT's int64). */
static inline int64_t mtvm_dot_s16_s8(const int16_t* x, const int8_t* w, int32_t n) {
  int64_t acc = 0;
  int32_t i = 0;
#if MTVM_CONV_S16_DSP
  for (; i + 4 <= n; i += 4) {
    uint32_t ww, x01, x23;
    int32_t w23;
    memcpy(&ww, w + i, sizeof(ww)); /* Armv7-M and Armv8-M load words unaligned */
    memcpy(&x01, x + i, sizeof(x01));
    memcpy(&x23, x + i + 2, sizeof(x23));
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(w23) : "r"(ww)); /* bytes 1 and 3: (w2, w3) */
    acc = __smlald((int32_t)x01, (int32_t)__sxtb16((int32_t)ww), acc); /* bytes 0, 2: (w0, w1) */
    acc = __smlald((int32_t)x23, w23, acc);
  }
#else
  for (; i + 4 <= n; i += 4) {
    acc += (int32_t)x[i] * w[i] + (int32_t)x[i + 1] * w[i + 2] + (int32_t)x[i + 2] * w[i + 1] +
           (int32_t)x[i + 3] * w[i + 3];
  }
#endif
  for (; i < n; ++i) {
    acc += (int32_t)x[i] * w[i];
  }
  return acc;
}

void mtvm_conv2d_s16(const mtvm_conv2d_s16_params_t* p, const int16_t* input, int16_t* output);
void mtvm_depthwise_conv2d_s16(const mtvm_depthwise_conv2d_s16_params_t* p, const int16_t* input,
                               int16_t* output);
void mtvm_fully_connected_s16(const mtvm_fully_connected_s16_params_t* p, const int16_t* input,
                              int16_t* output);

/* int8 kernels. The generator calls the one that matches the weight layout it chose and the
   requantization it proved possible; each is a separate function so that a firmware links only
   those its model uses. */
/* MTVM_CONV_PLAIN (conv_s8_plain.c). */
void mtvm_conv2d_s8_plain(const mtvm_conv2d_s8_params_t* p, const int8_t* input, int8_t* output);
/* MTVM_CONV_PAIRS, a 1x1 window and one group (conv_s8_1x1.c). */
void mtvm_conv2d_s8_1x1(const mtvm_conv2d_s8_params_t* p, const int8_t* input, int8_t* output);
void mtvm_conv2d_s8_1x1_general(const mtvm_conv2d_s8_params_t* p, const int8_t* input, int8_t* output);
/* MTVM_CONV_PAIRS or MTVM_CONV_GATHER (conv_s8_window.c). */
void mtvm_conv2d_s8_window(const mtvm_conv2d_s8_params_t* p, const int8_t* input, int8_t* output);
void mtvm_conv2d_s8_window_general(const mtvm_conv2d_s8_params_t* p, const int8_t* input,
                                   int8_t* output);
/* MTVM_DW_PLAIN (depthwise_conv_s8_plain.c), MTVM_DW_QUADS (depthwise_conv_s8_quads.c). */
void mtvm_depthwise_conv2d_s8_plain(const mtvm_depthwise_conv2d_s8_params_t* p, const int8_t* input,
                                    int8_t* output);
void mtvm_depthwise_conv2d_s8_quads(const mtvm_depthwise_conv2d_s8_params_t* p, const int8_t* input,
                                    int8_t* output);
void mtvm_depthwise_conv2d_s8_quads_general(const mtvm_depthwise_conv2d_s8_params_t* p,
                                            const int8_t* input, int8_t* output);
/* Integer rounding (`scales` NULL), or in double (`scales` set) (fully_connected_s8.c). */
void mtvm_fully_connected_s8(const mtvm_fully_connected_s8_params_t* p, const int8_t* input,
                             int8_t* output);
void mtvm_fully_connected_s8_double(const mtvm_fully_connected_s8_params_t* p, const int8_t* input,
                                    int8_t* output);

void mtvm_conv2d_f32(const mtvm_conv2d_f32_params_t* p, const float* input, float* output);
void mtvm_depthwise_conv2d_f32(const mtvm_depthwise_conv2d_f32_params_t* p, const float* input,
                               float* output);
void mtvm_fully_connected_f32(const mtvm_fully_connected_f32_params_t* p, const float* input,
                              float* output);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_CONV_H_ */
