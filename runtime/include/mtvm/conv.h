/*
 * Convolution family: CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, int8 and float32.
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
 *     _general suffix use an equivalent shorter form (see conv.c), valid when every
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
} mtvm_conv_geometry;

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
  mtvm_conv_geometry g;
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
} mtvm_conv2d_s8_params;

/* DEPTHWISE_CONV_2D, int8. out_c = in_c * depth_multiplier; output channel
   oc = ic * depth_multiplier + m reads input channel ic. */
typedef struct {
  mtvm_conv_geometry g;
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
} mtvm_depthwise_conv2d_s8_params;

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
} mtvm_fully_connected_s8_params;

typedef struct {
  mtvm_conv_geometry g;
  int32_t filter_in_c;
  float act_min, act_max;
  const float* weights; /* OHWI */
  const float* bias;    /* [out_c] or NULL */
} mtvm_conv2d_f32_params;

typedef struct {
  mtvm_conv_geometry g;
  int32_t depth_multiplier;
  float act_min, act_max;
  const float* weights; /* [filter_h][filter_w][out_c] */
  const float* bias;    /* [out_c] or NULL */
} mtvm_depthwise_conv2d_f32_params;

typedef struct {
  int32_t batches;
  int32_t accum_depth;
  int32_t out_c;
  float act_min, act_max;
  const float* weights; /* [out_c][accum_depth] */
  const float* bias;    /* [out_c] or NULL */
} mtvm_fully_connected_f32_params;

/* int8 kernels. The generator calls the one that matches the weight layout it chose and the
   requantization it proved possible; each is a separate function so that a firmware links only
   those its model uses. */
void mtvm_conv2d_s8_plain(const mtvm_conv2d_s8_params* p, const int8_t* input, int8_t* output);
/* MTVM_CONV_PAIRS, a 1x1 window and one group. */
void mtvm_conv2d_s8_1x1(const mtvm_conv2d_s8_params* p, const int8_t* input, int8_t* output);
void mtvm_conv2d_s8_1x1_general(const mtvm_conv2d_s8_params* p, const int8_t* input, int8_t* output);
/* MTVM_CONV_PAIRS or MTVM_CONV_GATHER. */
void mtvm_conv2d_s8_window(const mtvm_conv2d_s8_params* p, const int8_t* input, int8_t* output);
void mtvm_conv2d_s8_window_general(const mtvm_conv2d_s8_params* p, const int8_t* input,
                                   int8_t* output);
void mtvm_depthwise_conv2d_s8_plain(const mtvm_depthwise_conv2d_s8_params* p, const int8_t* input,
                                    int8_t* output);
void mtvm_depthwise_conv2d_s8_quads(const mtvm_depthwise_conv2d_s8_params* p, const int8_t* input,
                                    int8_t* output);
void mtvm_depthwise_conv2d_s8_quads_general(const mtvm_depthwise_conv2d_s8_params* p,
                                            const int8_t* input, int8_t* output);
/* Integer rounding (`scales` NULL), or in double (`scales` set). */
void mtvm_fully_connected_s8(const mtvm_fully_connected_s8_params* p, const int8_t* input,
                             int8_t* output);
void mtvm_fully_connected_s8_double(const mtvm_fully_connected_s8_params* p, const int8_t* input,
                                    int8_t* output);

void mtvm_conv2d_f32(const mtvm_conv2d_f32_params* p, const float* input, float* output);
void mtvm_depthwise_conv2d_f32(const mtvm_depthwise_conv2d_f32_params* p, const float* input,
                               float* output);
void mtvm_fully_connected_f32(const mtvm_fully_connected_f32_params* p, const float* input,
                              float* output);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_CONV_H_ */
