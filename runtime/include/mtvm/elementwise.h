/*
 * Elementwise kernels: ADD, SUB, MUL, MAXIMUM, MINIMUM (binary, with broadcasting) and
 * RELU, RELU6, LEAKY_RELU, HARD_SWISH (unary), for int8, int16 (16x8 quantization) and float32;
 * ADD, SUB, MUL also for int32 and int64. One source file per kernel variant, so that a model
 * ships only what it calls:
 *   int8     addsub_s8.c, mul_s8.c, minmax_s8.c; the unary operators are tables run by
 *            mtvm_lut_s8 (mtvm/unary.h, lut_s8.c)
 *   int16    addsub_s16.c, addsub_pot_s16.c, mul_s16.c, minmax_s16.c, relu_s16.c, leaky_relu_s16.c
 *   float32  addsub_f32.c, mul_f32.c, minmax_f32.c, relu_f32.c, leaky_relu_f32.c, hard_swish_f32.c
 *   int32/int64  elementwise_int.c
 * The quantized ADD/SUB/MUL and MAXIMUM/MINIMUM arithmetic the variants share is in the
 * family-internal elementwise_internal.h.
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

/*
 * Steps the input offsets of a broadcast walk to the next run of the innermost dimension:
 * an odometer over the outer dimensions of `b` (index[] holds the position in each).
 */
static inline void mtvm_bcast_next(const mtvm_bcast_t* b, int32_t* index, int32_t* off1, int32_t* off2) {
  for (int32_t d = b->rank - 2; d >= 0; --d) {
    index[d] += 1;
    *off1 += b->stride1[d];
    *off2 += b->stride2[d];
    if (index[d] < b->shape[d]) {
      return;
    }
    /* This dimension wrapped around: rewind it and carry into the next outer one. */
    *off1 -= b->stride1[d] * b->shape[d];
    *off2 -= b->stride2[d] * b->shape[d];
    index[d] = 0;
  }
}

/*
 * Defines the kernel `mtvm_<NAME>(p, in1, in2, out)` that stores ELEM(p, a, b) for every output
 * element: one flat loop when the inputs need no broadcast (bcast.rank == 0), otherwise a walk
 * over the outer dimensions with an inner loop along the last one. A macro rather than a function
 * pointer so that ELEM is inlined into both loops. Each element's operands are read before the
 * element is written, so `out` may alias a full-size input. Used by every source file of the
 * family (addsub_s8.c, addsub_s16.c, ...).
 */
#define MTVM_DEFINE_BINARY_KERNEL(NAME, T, PARAMS, ELEM)                                  \
  void mtvm_##NAME(const PARAMS* p, const T* in1, const T* in2, T* out) {                  \
    if (p->bcast.rank == 0) {                                                               \
      for (int32_t i = 0; i < p->size; ++i) {                                               \
        out[i] = ELEM(p, in1[i], in2[i]);                                                   \
      }                                                                                     \
      return;                                                                               \
    }                                                                                       \
    const mtvm_bcast_t* b = &p->bcast;                                                      \
    const int32_t last = b->rank - 1;                                                       \
    const int32_t inner = b->shape[last];                                                   \
    const int32_t step1 = b->stride1[last];                                                 \
    const int32_t step2 = b->stride2[last];                                                 \
    int32_t index[MTVM_BCAST_MAX_DIMS] = {0};                                               \
    int32_t off1 = 0;                                                                       \
    int32_t off2 = 0;                                                                       \
    for (int32_t o = 0; o < p->size; o += inner) {                                          \
      for (int32_t i = 0; i < inner; ++i) {                                                 \
        out[o + i] = ELEM(p, in1[off1 + i * step1], in2[off2 + i * step2]);                 \
      }                                                                                     \
      mtvm_bcast_next(b, index, &off1, &off2);                                              \
    }                                                                                       \
  }

void mtvm_add_s8(const mtvm_addsub_s8_params_t* p, const int8_t* in1, const int8_t* in2, int8_t* out);
void mtvm_sub_s8(const mtvm_addsub_s8_params_t* p, const int8_t* in1, const int8_t* in2, int8_t* out);
void mtvm_mul_s8(const mtvm_mul_s8_params_t* p, const int8_t* in1, const int8_t* in2, int8_t* out);
void mtvm_maximum_s8(const mtvm_minmax_params_t* p, const int8_t* in1, const int8_t* in2, int8_t* out);
void mtvm_minimum_s8(const mtvm_minmax_params_t* p, const int8_t* in1, const int8_t* in2, int8_t* out);

void mtvm_add_f32(const mtvm_arith_f32_params_t* p, const float* in1, const float* in2, float* out);
void mtvm_sub_f32(const mtvm_arith_f32_params_t* p, const float* in1, const float* in2, float* out);
void mtvm_mul_f32(const mtvm_arith_f32_params_t* p, const float* in1, const float* in2, float* out);
void mtvm_maximum_f32(const mtvm_minmax_params_t* p, const float* in1, const float* in2, float* out);
void mtvm_minimum_f32(const mtvm_minmax_params_t* p, const float* in1, const float* in2, float* out);

void mtvm_add_s32(const mtvm_arith_s32_params_t* p, const int32_t* in1, const int32_t* in2, int32_t* out);
void mtvm_sub_s32(const mtvm_arith_s32_params_t* p, const int32_t* in1, const int32_t* in2, int32_t* out);
void mtvm_mul_s32(const mtvm_arith_s32_params_t* p, const int32_t* in1, const int32_t* in2, int32_t* out);
void mtvm_add_s64(const mtvm_arith_s64_params_t* p, const int64_t* in1, const int64_t* in2, int64_t* out);
void mtvm_sub_s64(const mtvm_arith_s64_params_t* p, const int64_t* in1, const int64_t* in2, int64_t* out);
void mtvm_mul_s64(const mtvm_arith_s64_params_t* p, const int64_t* in1, const int64_t* in2, int64_t* out);

void mtvm_relu_f32(const mtvm_relu_f32_params_t* p, const float* in, float* out);
void mtvm_leaky_relu_f32(const mtvm_leaky_relu_f32_params_t* p, const float* in, float* out);
void mtvm_hard_swish_f32(const mtvm_hard_swish_f32_params_t* p, const float* in, float* out);

/* ---- int16 (16x8 quantization: int16 activations, symmetric) ------------------------------ */

/* int16 ADD/SUB, TFLite's general path (pot_scale_int16 false, or scales that are not powers of
   two): the int8 arithmetic with left_shift 15 (addsub_s16.c). */
typedef mtvm_addsub_s8_params_t mtvm_addsub_s16_params_t;

/* int16 ADD/SUB, TFLite's power-of-two path (pot_scale_int16 true and every scale a power of two,
   zero points 0): each input is divided by 2^shift (gemmlowp's int16 RoundingDivideByPOT; one of
   the two shifts is 0), the two are added or subtracted with int16 saturation and clamped to the
   fused activation range (addsub_pot_s16.c). */
typedef struct {
  int32_t size;
  mtvm_bcast_t bcast;
  int32_t input1_shift; /* right shift, >= 0 */
  int32_t input2_shift;
  int32_t act_min;
  int32_t act_max;
} mtvm_addsub_pot_s16_params_t;

/* int16 MUL: the int8 arithmetic on int16 values (zero points 0) (mul_s16.c). */
typedef mtvm_mul_s8_params_t mtvm_mul_s16_params_t;

/* int16 RELU, RELU6 (relu_s16.c): out = clamp(zp_out + MBQM(in - zp_in, multiplier, shift)). */
typedef struct {
  int32_t size;
  int32_t input_offset; /* zero point of the input */
  int32_t output_offset;
  int32_t multiplier;
  int32_t shift;
  int32_t act_min;
  int32_t act_max;
} mtvm_relu_s16_params_t;

/* int16 LEAKY_RELU (leaky_relu_s16.c): identity multiplier for x >= 0, |alpha| multiplier for
   x < 0, the product negated when alpha is negative (as TFLite's QuantizeLeakyRelu). */
typedef struct {
  int32_t size;
  int32_t input_offset;
  int32_t output_offset;
  int32_t identity_multiplier;
  int32_t identity_shift;
  int32_t alpha_multiplier; /* >= 0 */
  int32_t alpha_shift;
  int32_t alpha_negative; /* 1 when alpha < 0 */
} mtvm_leaky_relu_s16_params_t;

void mtvm_add_s16(const mtvm_addsub_s16_params_t* p, const int16_t* in1, const int16_t* in2, int16_t* out);
void mtvm_sub_s16(const mtvm_addsub_s16_params_t* p, const int16_t* in1, const int16_t* in2, int16_t* out);
void mtvm_add_pot_s16(const mtvm_addsub_pot_s16_params_t* p, const int16_t* in1, const int16_t* in2, int16_t* out);
void mtvm_sub_pot_s16(const mtvm_addsub_pot_s16_params_t* p, const int16_t* in1, const int16_t* in2, int16_t* out);
void mtvm_mul_s16(const mtvm_mul_s16_params_t* p, const int16_t* in1, const int16_t* in2, int16_t* out);
void mtvm_maximum_s16(const mtvm_minmax_params_t* p, const int16_t* in1, const int16_t* in2, int16_t* out);
void mtvm_minimum_s16(const mtvm_minmax_params_t* p, const int16_t* in1, const int16_t* in2, int16_t* out);
void mtvm_relu_s16(const mtvm_relu_s16_params_t* p, const int16_t* in, int16_t* out);
void mtvm_leaky_relu_s16(const mtvm_leaky_relu_s16_params_t* p, const int16_t* in, int16_t* out);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_ELEMENTWISE_H_ */
