/*
 * Unary math kernels: ABS, NEG, CEIL, FLOOR, ROUND, SQRT, RSQRT, SQUARE, EXP, LOG, SIN, COS,
 * ELU, GELU (float32; integer ABS/NEG; int16 quantized ABS, SQRT, RSQRT, EXP, LOG, GELU), CAST,
 * ZEROS_LIKE and FILL.
 *
 * The generator is tools/microtvm/microtvm/ops/math.py. int8 versions of ABS, SQRT, RSQRT, EXP,
 * LOG, ELU and GELU are 256-entry tables computed there and run by mtvm_lut_s8
 * (mtvm/unary.h). Every kernel reads element i before writing element i, in order.
 *
 * One source per group, so that a model links only the C library functions it calls:
 *   math_f32.c       ABS NEG CEIL FLOOR ROUND SQRT RSQRT SQUARE   fabsf ceilf floorf sqrtf
 *   math_exp_f32.c   EXP ELU                                      expf expm1f
 *   math_log_f32.c   LOG                                          logf
 *   math_trig_f32.c  SIN COS                                      sinf cosf
 *   math_gelu_f32.c  GELU (exact / tanh approximation)            erfcf / tanhf
 *   math_int.c       ABS NEG on int8/int16/int32/int64            -
 *   math_lut_s16.c   int16 (quantized) EXP LOG RSQRT GELU: 513-entry tables with interpolation
 *   math_abs_s16.c   int16 (quantized) ABS                        -
 *   math_sqrt_s16.c  int16 (quantized) SQRT                       sqrtf
 *   cast.c           CAST between float32/int8/uint8/int16/int32/int64/bool
 *   fill.c           FILL, ZEROS_LIKE
 * bool tensors are uint8_t holding 0 or 1.
 */
#ifndef MTVM_MATH_H_
#define MTVM_MATH_H_

#include <stdint.h>

#include "mtvm/unary.h" /* mtvm_unary_params_t */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t size; /* elements (FILL) or bytes (ZEROS_LIKE) */
} mtvm_fill_params_t;

/* int16 (quantized, zero points 0) ABS: LiteRT's AbsEvalQuantized; |q|, rescaled by
   MultiplyByQuantizedMultiplier (s_in / s_out) unless the scales are equal, clamped to int16. */
typedef struct {
  int32_t size;
  int32_t needs_rescale; /* 0 or 1 */
  int32_t multiplier;
  int32_t shift;
} mtvm_abs_q16_params_t;

/* int16 (quantized, zero points 0) SQRT: sqrtf(q * input_scale) / output_scale (float32 operations),
   truncated toward zero, clamped to int16 (negative inputs, which LiteRT refuses, give 0). */
typedef struct {
  int32_t size;
  float input_scale;
  float output_scale;
} mtvm_sqrt_q16_params_t;

/* int16 table lookup with interpolation (TFLite's LUTLookup on a 513-entry LUTPopulate<int16_t>
   table): the top 9 bits of the input pick an interval, the low 7 interpolate linearly. */
typedef struct {
  int32_t size;
} mtvm_lut_s16_params_t;

void mtvm_abs_q16(const mtvm_abs_q16_params_t *p, const int16_t *in, int16_t *out);
void mtvm_sqrt_q16(const mtvm_sqrt_q16_params_t *p, const int16_t *in, int16_t *out);
void mtvm_lut_s16(const mtvm_lut_s16_params_t *p, const int16_t *table, const int16_t *in, int16_t *out);

#define MTVM_DECLARE_UNARY(NAME, TI, TO) void mtvm_##NAME(const mtvm_unary_params_t* p, const TI* in, TO* out);

/* float32 (TFLite: std::abs, -x, std::ceil, std::floor, round half to even, std::sqrt,
   1 / std::sqrt, x * x, std::exp, std::log, std::sin, std::cos, ELU, GELU). */
MTVM_DECLARE_UNARY(abs_f32, float, float)
MTVM_DECLARE_UNARY(neg_f32, float, float)
MTVM_DECLARE_UNARY(ceil_f32, float, float)
MTVM_DECLARE_UNARY(floor_f32, float, float)
MTVM_DECLARE_UNARY(round_f32, float, float)
MTVM_DECLARE_UNARY(sqrt_f32, float, float)
MTVM_DECLARE_UNARY(rsqrt_f32, float, float)
MTVM_DECLARE_UNARY(square_f32, float, float)
MTVM_DECLARE_UNARY(exp_f32, float, float)
MTVM_DECLARE_UNARY(elu_f32, float, float)
MTVM_DECLARE_UNARY(log_f32, float, float)
MTVM_DECLARE_UNARY(sin_f32, float, float)
MTVM_DECLARE_UNARY(cos_f32, float, float)
MTVM_DECLARE_UNARY(gelu_f32, float, float)
MTVM_DECLARE_UNARY(gelu_tanh_f32, float, float)

/* Integers: two's complement, wrapping like LiteRT does on its hosts (abs and negation of the
   most negative value give it back). */
MTVM_DECLARE_UNARY(abs_s16, int16_t, int16_t)
MTVM_DECLARE_UNARY(abs_s32, int32_t, int32_t)
MTVM_DECLARE_UNARY(neg_s8, int8_t, int8_t)
MTVM_DECLARE_UNARY(neg_s16, int16_t, int16_t)
MTVM_DECLARE_UNARY(neg_s32, int32_t, int32_t)
MTVM_DECLARE_UNARY(neg_s64, int64_t, int64_t)

/* CAST: mtvm_cast_<from>_<to> for f32, s8, u8, s16, s32, s64, b (bool). */
#define MTVM_DECLARE_CAST_FROM(FROM, TF)           \
  MTVM_DECLARE_UNARY(cast_##FROM##_f32, TF, float) \
  MTVM_DECLARE_UNARY(cast_##FROM##_s8, TF, int8_t) \
  MTVM_DECLARE_UNARY(cast_##FROM##_u8, TF, uint8_t) \
  MTVM_DECLARE_UNARY(cast_##FROM##_s16, TF, int16_t) \
  MTVM_DECLARE_UNARY(cast_##FROM##_s32, TF, int32_t) \
  MTVM_DECLARE_UNARY(cast_##FROM##_s64, TF, int64_t) \
  MTVM_DECLARE_UNARY(cast_##FROM##_b, TF, uint8_t)
MTVM_DECLARE_CAST_FROM(f32, float)
MTVM_DECLARE_CAST_FROM(s8, int8_t)
MTVM_DECLARE_CAST_FROM(u8, uint8_t)
MTVM_DECLARE_CAST_FROM(s16, int16_t)
MTVM_DECLARE_CAST_FROM(s32, int32_t)
MTVM_DECLARE_CAST_FROM(s64, int64_t)
MTVM_DECLARE_CAST_FROM(b, uint8_t)
#undef MTVM_DECLARE_CAST_FROM

/* FILL: p->size copies of the element at `value` (8, 16, 32 or 64 bits, any type). */
void mtvm_fill_8(const mtvm_fill_params_t* p, const void* value, void* out);
void mtvm_fill_16(const mtvm_fill_params_t* p, const void* value, void* out);
void mtvm_fill_32(const mtvm_fill_params_t* p, const void* value, void* out);
void mtvm_fill_64(const mtvm_fill_params_t* p, const void* value, void* out);
/* ZEROS_LIKE: p->size zero bytes (0.0f, 0 and false are all-zero bit patterns). */
void mtvm_fill_zero(const mtvm_fill_params_t* p, void* out);

#undef MTVM_DECLARE_UNARY

#ifdef __cplusplus
}
#endif

#endif /* MTVM_MATH_H_ */
