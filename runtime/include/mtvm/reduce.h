/*
 * Reduction and nonlinear kernels: AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, SOFTMAX, LOGISTIC, TANH
 * for int8, int16 and float32, one source file per kernel variant:
 *   int8     pool_s8.c, mean_s8.c, softmax_s8.c; LOGISTIC and TANH are tables run by
 *            mtvm_lut_s8 (mtvm/unary.h, lut_s8.c)
 *   int16    pool_s16.c, mean_s16.c, softmax_s16.c, logistic_s16.c, tanh_s16.c
 *   float32  pool_f32.c, mean_f32.c, softmax_f32.c, logistic_f32.c, tanh_f32.c
 * (with the family-internal reduce_internal.h).
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

#include <stddef.h>
#include <stdint.h>

#include "mtvm/nhwc.h"  /* mtvm_window_t, mtvm_nhwc_offset */
#include "mtvm/unary.h" /* mtvm_unary_params_t */

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
} mtvm_pool2d_params_t;

/* The cells of one output's window that lie inside the input (mtvm/nhwc.h). */
static inline mtvm_window_t mtvm_pool_window(const mtvm_pool2d_params_t* p, int32_t out_y, int32_t out_x) {
  return mtvm_nhwc_window(out_y * p->stride_h - p->pad_h, out_x * p->stride_w - p->pad_w, p->filter_h, p->filter_w,
                          p->in_h, p->in_w);
}

/* Average over the window cells inside the input (padding cells are not counted), rounded to
   nearest with halves away from zero. Input and output share quantization, as in TFLite. */
void mtvm_avg_pool2d_s8(const mtvm_pool2d_params_t* p, const int8_t* input, int8_t* output);
void mtvm_max_pool2d_s8(const mtvm_pool2d_params_t* p, const int8_t* input, int8_t* output);
void mtvm_avg_pool2d_f32(const mtvm_pool2d_params_t* p, const float* input, float* output);
void mtvm_max_pool2d_f32(const mtvm_pool2d_params_t* p, const float* input, float* output);

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
} mtvm_mean_params_t;

/* Advance a multi-index (innermost dimension last) by one element and return the new offset;
   after the last element it wraps around to all zeros and offset 0 (relative to its start). */
static inline size_t mtvm_next_offset(int32_t n, const int32_t* extent, const int32_t* stride, int32_t* index,
                               size_t offset) {
  for (int32_t d = n - 1; d >= 0; --d) {
    index[d] += 1;
    offset += (size_t)stride[d];
    if (index[d] < extent[d]) {
      return offset;
    }
    offset -= (size_t)extent[d] * (size_t)stride[d];
    index[d] = 0;
  }
  return offset;
}

static inline int32_t mtvm_mean_num_outputs(const mtvm_mean_params_t* p) {
  int32_t n = 1;
  for (int32_t d = 0; d < p->num_outer; ++d) {
    n *= p->outer_extent[d];
  }
  return n;
}

void mtvm_mean_s8(const mtvm_mean_params_t* p, const int8_t* input, int8_t* output);
void mtvm_mean_f32(const mtvm_mean_params_t* p, const float* input, float* output);

/* ---- SOFTMAX over the last axis --------------------------------------------------------------- */

typedef struct {
  int32_t outer; /* product of all dimensions but the last */
  int32_t depth; /* the last dimension */
  float beta;    /* float kernel only (the int8 table already includes beta) */
} mtvm_softmax_params_t;

/*
 * int8 in, int8 out (scale 1/256, zero point -128). exp_table[d] is TFLite's fixed-point
 * exp(-d * input_scale * beta) in Q0.31 for d = row max - x in 0..255, computed at generation
 * time, and 0 where TFLite skips the element (d beyond its diff_min), which gives the same
 * result. Sum, reciprocal and rescaling are done here, exactly as TFLite does them.
 */
void mtvm_softmax_s8(const mtvm_softmax_params_t* p, const int32_t* exp_table, const int8_t* input,
                     int8_t* output);
void mtvm_softmax_f32(const mtvm_softmax_params_t* p, const float* input, float* output);

/* ---- LOGISTIC, TANH ------------------------------------------------------------------------- */

/* int8 LOGISTIC and TANH: tables run by mtvm_lut_s8 (mtvm/unary.h). */
void mtvm_logistic_f32(const mtvm_unary_params_t* p, const float* input, float* output);
void mtvm_tanh_f32(const mtvm_unary_params_t* p, const float* input, float* output);

/* ---- int16 (16x8 quantization: zero points 0) ---------------------------------------------- */

/* AVERAGE_POOL_2D / MAX_POOL_2D on int16 (pool_s16.c): the int8 arithmetic on int16 values. */
void mtvm_avg_pool2d_s16(const mtvm_pool2d_params_t* p, const int16_t* input, int16_t* output);
void mtvm_max_pool2d_s16(const mtvm_pool2d_params_t* p, const int16_t* input, int16_t* output);

/* MEAN on int16 (mean_s16.c): TFLite's QuantizedMeanOrSum, as mtvm_mean_s8, saturated to int16. */
void mtvm_mean_s16(const mtvm_mean_params_t* p, const int16_t* input, int16_t* output);

/*
 * SOFTMAX int16 -> int16 (softmax_s16.c, output scale 1/32768): TFLite's SoftmaxInt16. The
 * difference to the row maximum is rescaled so that [-65535, 0] covers [-10, 0], exp() comes
 * from a 513-entry interpolated table, and 1 / (1 + x) of the normalised sum from another; both
 * tables are computed by the generator exactly as TFLite's LUTPopulate computes them.
 */
typedef struct {
  int32_t outer;
  int32_t depth;
  int32_t input_multiplier;
  int32_t input_shift;
} mtvm_softmax_s16_params_t;

void mtvm_softmax_s16(const mtvm_softmax_s16_params_t* p, const int16_t* exp_lut, const int16_t* one_over_one_plus_x_lut,
                      const int16_t* input, int16_t* output);

/*
 * LOGISTIC and TANH int16 -> int16 (logistic_s16.c, tanh_s16.c; output scale 2^-15): TFLite's
 * fixed-point reference. The input is rescaled by (x * input_multiplier + round) >> shift, then
 * sigmoid (tanh(x) = 2 sigmoid(2x) - 1) is interpolated linearly in `sigmoid_table`, the 256
 * values of sigmoid(i / 24) in unsigned Q0.16, passed by the generator.
 */
typedef struct {
  int32_t size;
  int32_t input_multiplier;
  int32_t input_left_shift; /* a right shift of the product, despite TFLite's name */
} mtvm_sigmoid_s16_params_t;

void mtvm_logistic_s16(const mtvm_sigmoid_s16_params_t* p, const uint16_t* sigmoid_table, const int16_t* input,
                       int16_t* output);
void mtvm_tanh_s16(const mtvm_sigmoid_s16_params_t* p, const uint16_t* sigmoid_table, const int16_t* input,
                   int16_t* output);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_REDUCE_H_ */
