/*
 * Hybrid (dynamic-range quantized) kernels: float32 activations, int8 constant weights.
 *
 * LiteRT computes these operators by quantizing the float input on the fly, running an integer
 * dot product against the int8 weights and scaling the int32 result back to float:
 *   output = bias + float(sum(w * (q - zp))) * input_scale * weight_scale,
 * clamped to the fused activation. The input is quantized per "batch row": one FULLY_CONNECTED
 * input row, one whole image of a CONV_2D / DEPTHWISE_CONV_2D batch, one LHS row of a
 * BATCH_MATMUL. Symmetrically (zp = 0, q in [-127, 127], scale = max|x| / 127) or
 * asymmetrically (q in [-128, 127] with a zero point, scale = (max - min) / 255 over a range
 * that includes 0); see mtvm_hybrid_quantize_*.
 *
 * The float operations follow LiteRT 2.3.0's x86 build (BUILTIN_REF) one for one, in the same
 * order and precision, so the outputs are the same floats (each kernel's comment names the
 * order). The generator (tools/microtvm/microtvm/ops/hybrid.py) prepares the weights, the
 * per-channel scales and each weight row's sum (for the asymmetric zero point term).
 */
#ifndef MTVM_HYBRID_H_
#define MTVM_HYBRID_H_

#include <math.h> /* INFINITY: the float clamp bounds of an activation of NONE or RELU */
#include <stdint.h>

#include "mtvm/conv.h" /* mtvm_conv_geometry_t */

#ifdef __cplusplus
extern "C" {
#endif

/* Quantize `n` floats (n >= 1) to int8 and return the scaling factor (real = q * scale).
   Symmetric: zero point 0, q in [-127, 127]. Asymmetric: q in [-128, 127], *zero_point set. */
float mtvm_hybrid_quantize_symmetric(const float* x, int32_t n, int8_t* q);
float mtvm_hybrid_quantize_asymmetric(const float* x, int32_t n, int8_t* q, int32_t* zero_point);

/* FULLY_CONNECTED: weights [units][depth]; the input is read as [batches][depth]. */
typedef struct {
  int32_t batches;
  int32_t depth;
  int32_t units;
  float act_min, act_max;
  int32_t asymmetric;           /* asymmetric_quantize_inputs */
  float weight_scale;           /* per-tensor weights (channel_scales == NULL) */
  const float* channel_scales;  /* per-channel weights: [units], else NULL */
  const int8_t* weights;        /* [units][depth] */
  const int32_t* row_sums;      /* [units]: sum of each row of weights (asymmetric only) */
  const float* bias;            /* [units] or NULL */
} mtvm_fully_connected_hybrid_params_t;

/* scratch: depth bytes (one quantized input row). */
void mtvm_fully_connected_hybrid(const mtvm_fully_connected_hybrid_params_t* p, const float* input,
                                 float* output, void* scratch);

/* CONV_2D: weights OHWI (filter_in_c input channels per group). */
typedef struct {
  mtvm_conv_geometry_t g;
  int32_t filter_in_c;
  float act_min, act_max;
  float weight_scale;           /* mtvm_conv2d_hybrid: the one weight scale */
  const float* channel_scales;  /* mtvm_conv2d_hybrid_per_channel: [out_c] */
  const int8_t* weights;
  const float* bias;            /* [out_c] or NULL */
} mtvm_conv2d_hybrid_params_t;

/* scratch: in_h * in_w * in_c bytes (one quantized image). Per-tensor weights: each image is
   quantized symmetrically; per-channel weights: asymmetrically. */
void mtvm_conv2d_hybrid(const mtvm_conv2d_hybrid_params_t* p, const float* input, float* output,
                        void* scratch);
void mtvm_conv2d_hybrid_per_channel(const mtvm_conv2d_hybrid_params_t* p, const float* input,
                                    float* output, void* scratch);

/* DEPTHWISE_CONV_2D: weights [1, H, W, out_c], out_c = in_c * depth_multiplier. */
typedef struct {
  mtvm_conv_geometry_t g;
  int32_t depth_multiplier;
  float act_min, act_max;
  const float* channel_scales;  /* [out_c] */
  const int8_t* weights;
  const float* bias;            /* [out_c] or NULL */
} mtvm_depthwise_conv2d_hybrid_params_t;

/* scratch: in_h * in_w * in_c bytes. Each image is quantized asymmetrically. */
void mtvm_depthwise_conv2d_hybrid(const mtvm_depthwise_conv2d_hybrid_params_t* p, const float* input,
                                  float* output, void* scratch);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_HYBRID_H_ */
