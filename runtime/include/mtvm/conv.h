/*
 * Convolution family: CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, int8 and float32.
 *
 * Layouts are TFLite's: activations NHWC; CONV_2D weights OHWI; DEPTHWISE_CONV_2D weights
 * [1, H, W, in_c * depth_multiplier]; FULLY_CONNECTED weights [out, in] (row-major).
 *
 * The code generator (tools/microtvm/microtvm/ops/conv.py) prepares every constant at
 * generation time and emits one `static const` parameter struct per operator:
 *   - requantization multipliers/shifts (or double scales for FULLY_CONNECTED),
 *   - the bias folded with the input zero point,
 *       folded_bias[oc] = bias[oc] + input_offset * sum(weights[oc]),
 *     so that the inner loop of an output whose window lies inside the image is a plain
 *     int8 x int8 dot product added to one int32 constant,
 *   - the fused activation as a clamp range in the output's quantized domain.
 *
 * Rounding (both match LiteRT 2.3.0's reference kernels, BUILTIN_REF, bit for bit):
 *   - CONV_2D and DEPTHWISE_CONV_2D int8: TFLite's MultiplyByQuantizedMultiplier with a
 *     per-channel q31 multiplier and shift, i.e. two roundings (rounding doubling high
 *     multiply, then rounding right shift); see mtvm/quant.h.
 *   - FULLY_CONNECTED int8: LiteRT's reference kernel rounds once: the int32 accumulator is
 *     multiplied in double precision by input_scale * filter_scale / output_scale and
 *     rounded half away from zero (TFLite Micro rounds twice, as the convolutions do, and
 *     so differs by one on rare ties).
 */
#ifndef MTVM_CONV_H_
#define MTVM_CONV_H_

#include <math.h> /* INFINITY: the float clamp bounds of an activation of NONE or RELU */
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Window geometry shared by CONV_2D and DEPTHWISE_CONV_2D. pad_top/pad_left are TFLite's
   (SAME padding puts the odd pixel at the bottom/right); taps outside the image are skipped. */
typedef struct {
  int32_t batches;
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t filter_h, filter_w;
  int32_t stride_h, stride_w;
  int32_t dilation_h, dilation_w;
  int32_t pad_top, pad_left;
} mtvm_conv_geometry;

/* CONV_2D, int8. Grouped convolution when filter_in_c < in_c (groups = in_c / filter_in_c). */
typedef struct {
  mtvm_conv_geometry g;
  int32_t filter_in_c;
  int32_t input_offset;  /* -input zero point */
  int32_t output_offset; /* output zero point */
  int32_t act_min, act_max;
  const int8_t* weights;       /* [out_c][filter_h][filter_w][filter_in_c] */
  const int32_t* folded_bias;  /* [out_c]: bias + input_offset * sum(weights of oc) */
  const int32_t* bias;         /* [out_c] unfolded, for windows that cross the border; NULL = 0 */
  const int32_t* multiplier;   /* [out_c] q31 */
  const int32_t* shift;        /* [out_c] */
} mtvm_conv2d_s8_params;

/* DEPTHWISE_CONV_2D, int8. out_c = in_c * depth_multiplier; output channel
   oc = ic * depth_multiplier + m reads input channel ic. */
typedef struct {
  mtvm_conv_geometry g;
  int32_t depth_multiplier;
  int32_t input_offset;
  int32_t output_offset;
  int32_t act_min, act_max;
  const int8_t* weights;       /* [filter_h][filter_w][out_c] */
  const int32_t* folded_bias;  /* [out_c] */
  const int32_t* bias;         /* [out_c] or NULL, as for CONV_2D */
  const int32_t* multiplier;   /* [out_c] */
  const int32_t* shift;        /* [out_c] */
} mtvm_depthwise_conv2d_s8_params;

/* FULLY_CONNECTED, int8. The input is read as [batches][accum_depth]. */
typedef struct {
  int32_t batches;
  int32_t accum_depth;
  int32_t out_c;
  int32_t filter_offset;       /* -filter zero point (per-tensor weights only; else 0) */
  int32_t output_offset;
  int32_t act_min, act_max;
  const int8_t* weights;       /* [out_c][accum_depth] */
  /* bias + input_offset * sum(w) + accum_depth * input_offset * filter_offset */
  const int32_t* folded_bias;  /* [out_c] */
  double scale;                /* input_scale * filter_scale / output_scale (per-tensor) */
  const double* channel_scales; /* [out_c] for per-channel weights, else NULL */
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

void mtvm_conv2d_s8(const mtvm_conv2d_s8_params* p, const int8_t* input, int8_t* output);
void mtvm_depthwise_conv2d_s8(const mtvm_depthwise_conv2d_s8_params* p, const int8_t* input,
                              int8_t* output);
void mtvm_fully_connected_s8(const mtvm_fully_connected_s8_params* p, const int8_t* input,
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
