/*
 * Elementwise kernels: ADD, SUB, MUL, MAXIMUM, MINIMUM (binary, with broadcasting) and
 * RELU, RELU6, LEAKY_RELU, HARD_SWISH (unary), for int8 and float32; ADD, SUB, MUL also for
 * int32 and int64.
 *
 * All constant preparation happens at generation time (tools/microtvm/microtvm/ops/elementwise.py):
 * requantization multipliers, activation ranges, broadcast strides, and for the int8 unary
 * operators a complete 256-entry lookup table. The kernels only loop.
 *
 * Every kernel reads the operands of an element before it writes that element, so the output
 * may share storage with an input of the same shape (in-place execution).
 */
#ifndef MTVM_ELEMENTWISE_H_
#define MTVM_ELEMENTWISE_H_

#include <math.h> /* INFINITY, used in generated parameter structs (float RELU) */
#include <stdint.h>

#include "mtvm/broadcast.h"
#include "mtvm/quant.h"

#ifdef __cplusplus
extern "C" {
#endif

/* mtvm_bcast_t and MTVM_BCAST_MAX_DIMS: see mtvm/broadcast.h. */

/* int8 ADD and SUB: TFLite's scheme of rescaling both inputs to a common scale with 20 bits of
   headroom (left_shift), adding or subtracting, then rescaling to the output. */
typedef struct {
  int32_t size; /* output elements */
  mtvm_bcast_t bcast;
  int32_t input1_offset; /* -zero_point of input 1 */
  int32_t input1_multiplier;
  int32_t input1_shift; /* <= 0 */
  int32_t input2_offset;
  int32_t input2_multiplier;
  int32_t input2_shift; /* <= 0 */
  int32_t left_shift;
  int32_t output_multiplier;
  int32_t output_shift; /* <= 0 */
  int32_t output_offset; /* zero_point of the output */
  int32_t act_min;
  int32_t act_max;
} mtvm_addsub_s8_params_t;

/* int8 MUL: (x1 - zp1) * (x2 - zp2) rescaled once to the output. */
typedef struct {
  int32_t size;
  mtvm_bcast_t bcast;
  int32_t input1_offset;
  int32_t input2_offset;
  int32_t output_multiplier;
  int32_t output_shift;
  int32_t output_offset;
  int32_t act_min;
  int32_t act_max;
} mtvm_mul_s8_params_t;

/* float32 ADD, SUB and MUL: the result clamped to the fused activation's range. */
typedef struct {
  int32_t size;
  mtvm_bcast_t bcast;
  float act_min;
  float act_max;
} mtvm_arith_f32_params_t;

/* int32 and int64 ADD, SUB and MUL (runtime/src/elementwise_int.c): two's complement arithmetic
   that wraps on overflow (as LiteRT computes on its hosts), clamped to the fused activation's
   range (NONE: the type's whole range). */
typedef struct {
  int32_t size;
  mtvm_bcast_t bcast;
  int32_t act_min;
  int32_t act_max;
} mtvm_arith_s32_params_t;

typedef struct {
  int32_t size;
  mtvm_bcast_t bcast;
  int64_t act_min;
  int64_t act_max;
} mtvm_arith_s64_params_t;

/* MAXIMUM and MINIMUM (int8 and float32): they compare stored values; like TFLite, no
   requantization happens even when the quantization parameters of the tensors differ. */
typedef struct {
  int32_t size;
  mtvm_bcast_t bcast;
} mtvm_minmax_params_t;

/* int8 unary operators: out[i] = table[in[i] + 128]. */
typedef struct {
  int32_t size;
} mtvm_lut_s8_params_t;

/* float32 RELU and RELU6: out = min(max(in, lo), hi). */
typedef struct {
  int32_t size;
  float lo;
  float hi;
} mtvm_relu_f32_params_t;

/* float32 LEAKY_RELU: in > 0 ? in : in * alpha (alpha may be negative or above 1). */
typedef struct {
  int32_t size;
  float alpha;
} mtvm_leaky_relu_f32_params_t;

/* float32 HARD_SWISH: in * min(6, max(0, in + 3)) / 6. */
typedef struct {
  int32_t size;
} mtvm_hard_swish_f32_params_t;

void mtvm_add_s8(const mtvm_addsub_s8_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out);
void mtvm_sub_s8(const mtvm_addsub_s8_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out);
void mtvm_mul_s8(const mtvm_mul_s8_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out);
void mtvm_maximum_s8(const mtvm_minmax_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out);
void mtvm_minimum_s8(const mtvm_minmax_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out);

void mtvm_add_f32(const mtvm_arith_f32_params_t *p, const float *in1, const float *in2, float *out);
void mtvm_sub_f32(const mtvm_arith_f32_params_t *p, const float *in1, const float *in2, float *out);
void mtvm_mul_f32(const mtvm_arith_f32_params_t *p, const float *in1, const float *in2, float *out);
void mtvm_maximum_f32(const mtvm_minmax_params_t *p, const float *in1, const float *in2, float *out);
void mtvm_minimum_f32(const mtvm_minmax_params_t *p, const float *in1, const float *in2, float *out);

void mtvm_add_s32(const mtvm_arith_s32_params_t *p, const int32_t *in1, const int32_t *in2, int32_t *out);
void mtvm_sub_s32(const mtvm_arith_s32_params_t *p, const int32_t *in1, const int32_t *in2, int32_t *out);
void mtvm_mul_s32(const mtvm_arith_s32_params_t *p, const int32_t *in1, const int32_t *in2, int32_t *out);
void mtvm_add_s64(const mtvm_arith_s64_params_t *p, const int64_t *in1, const int64_t *in2, int64_t *out);
void mtvm_sub_s64(const mtvm_arith_s64_params_t *p, const int64_t *in1, const int64_t *in2, int64_t *out);
void mtvm_mul_s64(const mtvm_arith_s64_params_t *p, const int64_t *in1, const int64_t *in2, int64_t *out);

/* `table` has 256 entries: the output for every int8 input value, from -128 to 127. */
void mtvm_lut_s8(const mtvm_lut_s8_params_t *p, const int8_t *table, const int8_t *in, int8_t *out);

void mtvm_relu_f32(const mtvm_relu_f32_params_t *p, const float *in, float *out);
void mtvm_leaky_relu_f32(const mtvm_leaky_relu_f32_params_t *p, const float *in, float *out);
void mtvm_hard_swish_f32(const mtvm_hard_swish_f32_params_t *p, const float *in, float *out);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_ELEMENTWISE_H_ */
