/*
 * Reduction and nonlinear kernels: AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, SOFTMAX, LOGISTIC, TANH.
 *
 * Every kernel reproduces LiteRT's reference kernels (OpResolverType.BUILTIN_REF): int8 results
 * are equal byte for byte, float32 results follow the same operation order. The code generator
 * (tools/microtvm/microtvm/ops/reduce.py) does all constant preparation: padding, activation
 * ranges, requantization multipliers and the lookup tables of the int8 unary functions and of
 * the int8 softmax exponentials. The kernels only loop.
 *
 * Tensors are dense, row-major (NHWC for the pools).
 */
#ifndef MTVM_REDUCE_H_
#define MTVM_REDUCE_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- AVERAGE_POOL_2D / MAX_POOL_2D (NHWC) ------------------------------------------------ */

/* Window geometry and fused activation range of one pooling operator. */
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
  int32_t pad_w; /* padding before the first column */
  int32_t act_min; /* int8 kernels: fused activation range in output quantized units */
  int32_t act_max;
  float act_min_f; /* float kernels: fused activation range */
  float act_max_f;
} mtvm_pool2d_params;

/* Average over the window cells inside the input (padding cells are not counted), rounded to
   nearest with halves away from zero. Input and output share quantization, as in TFLite. */
void mtvm_avg_pool2d_i8(const mtvm_pool2d_params* p, const int8_t* input, int8_t* output);
void mtvm_max_pool2d_i8(const mtvm_pool2d_params* p, const int8_t* input, int8_t* output);
void mtvm_avg_pool2d_f32(const mtvm_pool2d_params* p, const float* input, float* output);
void mtvm_max_pool2d_f32(const mtvm_pool2d_params* p, const float* input, float* output);

/* ---- MEAN ----------------------------------------------------------------------------------- */

#define MTVM_MEAN_MAX_DIMS 8

/*
 * The input shape is split into kept ("outer") and reduced ("inner") dimensions, each with its
 * extent and its stride in the input (in elements), outermost first. Adjacent dimensions of
 * the same kind are merged by the generator. Outputs are produced in row-major order of the
 * kept dimensions, which is the output layout whether or not keep_dims is set.
 */
typedef struct {
  int32_t num_outer;
  int32_t outer_extent[MTVM_MEAN_MAX_DIMS];
  int32_t outer_stride[MTVM_MEAN_MAX_DIMS];
  int32_t num_inner;
  int32_t inner_extent[MTVM_MEAN_MAX_DIMS];
  int32_t inner_stride[MTVM_MEAN_MAX_DIMS];
  int32_t count; /* number of elements averaged into each output */
  /* int8 only: output = clamp(MBQM(sum - count * input_zero_point, multiplier, shift)
     + output_zero_point), where multiplier/shift already include the division by count. */
  int32_t input_zero_point;
  int32_t output_zero_point;
  int32_t multiplier;
  int32_t shift;
} mtvm_mean_params;

void mtvm_mean_i8(const mtvm_mean_params* p, const int8_t* input, int8_t* output);
void mtvm_mean_f32(const mtvm_mean_params* p, const float* input, float* output);

/* ---- SOFTMAX over the last axis --------------------------------------------------------------- */

typedef struct {
  int32_t outer; /* product of all dimensions but the last */
  int32_t depth; /* the last dimension */
  float beta;    /* float kernel only (the int8 table already includes beta) */
} mtvm_softmax_params;

/*
 * int8 in, int8 out (scale 1/256, zero point -128). exp_table[d] is TFLite's fixed-point
 * exp(-d * input_scale * beta) in Q0.31 for d = row max - x in 0..255, computed at generation
 * time, and 0 where TFLite skips the element (d beyond its diff_min), which gives the same
 * result. Sum, reciprocal and rescaling are done here, exactly as TFLite does them.
 */
void mtvm_softmax_i8(const mtvm_softmax_params* p, const int32_t* exp_table, const int8_t* input,
                     int8_t* output);
void mtvm_softmax_f32(const mtvm_softmax_params* p, const float* input, float* output);

/* ---- LOGISTIC, TANH ------------------------------------------------------------------------- */

typedef struct {
  int32_t size; /* number of elements */
} mtvm_unary_params;

/* output[i] = table[input[i] + 128]: int8 unary functions, tabulated at generation time. */
void mtvm_lut_i8(const mtvm_unary_params* p, const int8_t* table, const int8_t* input, int8_t* output);
void mtvm_logistic_f32(const mtvm_unary_params* p, const float* input, float* output);
void mtvm_tanh_f32(const mtvm_unary_params* p, const float* input, float* output);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_REDUCE_H_ */
