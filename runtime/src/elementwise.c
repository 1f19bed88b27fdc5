/*
 * Elementwise kernels (see mtvm/elementwise.h). The arithmetic of each element follows TFLite's
 * reference kernels bit for bit; the generator has already computed every constant.
 */
#include "mtvm/elementwise.h"

#include <stdint.h>

#include "mtvm/quant.h"

/* ---- int8 element functions ------------------------------------------------------------- */

/* Both inputs on a common scale with `left_shift` bits of headroom (TFLite's Add/Sub Prepare). */
static inline int32_t mtvm__addsub_rescale(int32_t offset, int8_t x, int32_t multiplier, int32_t shift,
                                           int32_t left_shift) {
  const int32_t shifted = (offset + (int32_t)x) * ((int32_t)1 << left_shift);
  return mtvm_multiply_by_quantized_multiplier(shifted, multiplier, (int)shift);
}

static inline int8_t mtvm__addsub_finish(const mtvm_addsub_s8_params_t* p, int32_t raw) {
  const int32_t out =
      mtvm_multiply_by_quantized_multiplier(raw, p->output_multiplier, (int)p->output_shift) + p->output_offset;
  return (int8_t)mtvm_clamp_i32(out, p->act_min, p->act_max);
}

static inline int8_t mtvm__add_s8_elem(const mtvm_addsub_s8_params_t* p, int8_t a, int8_t b) {
  const int32_t x1 = mtvm__addsub_rescale(p->input1_offset, a, p->input1_multiplier, p->input1_shift, p->left_shift);
  const int32_t x2 = mtvm__addsub_rescale(p->input2_offset, b, p->input2_multiplier, p->input2_shift, p->left_shift);
  return mtvm__addsub_finish(p, x1 + x2);
}

static inline int8_t mtvm__sub_s8_elem(const mtvm_addsub_s8_params_t* p, int8_t a, int8_t b) {
  const int32_t x1 = mtvm__addsub_rescale(p->input1_offset, a, p->input1_multiplier, p->input1_shift, p->left_shift);
  const int32_t x2 = mtvm__addsub_rescale(p->input2_offset, b, p->input2_multiplier, p->input2_shift, p->left_shift);
  return mtvm__addsub_finish(p, x1 - x2);
}

static inline int8_t mtvm__mul_s8_elem(const mtvm_mul_s8_params_t* p, int8_t a, int8_t b) {
  const int32_t product = (p->input1_offset + (int32_t)a) * (p->input2_offset + (int32_t)b);
  const int32_t out =
      mtvm_multiply_by_quantized_multiplier(product, p->output_multiplier, (int)p->output_shift) + p->output_offset;
  return (int8_t)mtvm_clamp_i32(out, p->act_min, p->act_max);
}

/* MAXIMUM/MINIMUM compare stored values, with TFLite's choice of operand on ties and NaN. */
#define MTVM__MAX_ELEM(p, a, b) ((void)(p), (a) > (b) ? (a) : (b))
#define MTVM__MIN_ELEM(p, a, b) ((void)(p), (a) < (b) ? (a) : (b))

/* ---- float32 element functions ---------------------------------------------------------- */

static inline float mtvm__add_f32_elem(const mtvm_arith_f32_params_t* p, float a, float b) {
  return mtvm_clamp_f32(a + b, p->act_min, p->act_max);
}

static inline float mtvm__sub_f32_elem(const mtvm_arith_f32_params_t* p, float a, float b) {
  return mtvm_clamp_f32(a - b, p->act_min, p->act_max);
}

static inline float mtvm__mul_f32_elem(const mtvm_arith_f32_params_t* p, float a, float b) {
  return mtvm_clamp_f32(a * b, p->act_min, p->act_max);
}

/*
 * int8 ADD and SUB without broadcast, in fewer instructions per element (ResNet-style models
 * spend a tenth of their time in ADD otherwise). Each element computes exactly what
 * mtvm__add_s8_elem / mtvm__sub_s8_elem compute, using that every operand is small: an input
 * term is (offset + x) << left_shift with |offset + x| <= 255 and left_shift <= 21, so below
 * 2^29, and so is its rescaled value; their sum or difference is below 2^30. For |v| < 2^30
 * and a multiplier m >= 0:
 *   - the rounding doubling high multiply (nudge, then division by 2^31 truncating toward zero)
 *     equals floor((v * m + 2^30) / 2^31) = floor((2v * m + 2^31) / 2^32), SMMULR of 2v;
 *   - the rounding right shift by e >= 1 (halves away from zero) equals
 *     floor((t + 2^(e-1) - (t < 0)) / 2^e), and by e = 0 is t itself; nothing overflows.
 */
typedef struct {
  int32_t multiplier, shift; /* shift = -TFLite's shift >= 0 (a right shift) */
  int32_t half, negative;    /* 2^(shift-1) and 1, or 0 and 0 when shift is 0 */
} mtvm__small_rescale_t;

static mtvm__small_rescale_t mtvm__small_rescale(int32_t multiplier, int32_t tflite_shift) {
  mtvm__small_rescale_t r;
  r.multiplier = multiplier;
  r.shift = -tflite_shift;
  r.half = r.shift > 0 ? (int32_t)1 << (r.shift - 1) : 0;
  r.negative = r.shift > 0 ? 1 : 0;
  return r;
}

/* Takes 2v: callers fold the doubling into their own shift. */
static inline int32_t mtvm__apply_small_rescale(int32_t twice_v, mtvm__small_rescale_t r) {
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
  /* SMMULR: (a * b + 2^31) >> 32 of 2v (below 2^31): the same floor. */
  int32_t t;
  __asm__("smmulr %0, %1, %2" : "=r"(t) : "r"(twice_v), "r"(r.multiplier));
#else
  const int32_t t = (int32_t)(((int64_t)twice_v * r.multiplier + ((int64_t)1 << 31)) >> 32);
#endif
  return (t + r.half - (t < 0 ? r.negative : 0)) >> r.shift;
}

static int mtvm__addsub_small(const mtvm_addsub_s8_params_t* p) {
  return p->bcast.rank == 0 && p->left_shift >= 0 && p->left_shift <= 21 && p->input1_shift <= 0 &&
         p->input2_shift <= 0 && p->output_shift <= 0 && p->input1_multiplier >= 0 &&
         p->input2_multiplier >= 0 && p->output_multiplier >= 0;
}

static void mtvm__addsub_s8_small(const mtvm_addsub_s8_params_t* p, const int8_t* in1, const int8_t* in2,
                                  int8_t* out, int32_t sign) {
  const mtvm__small_rescale_t r1 = mtvm__small_rescale(p->input1_multiplier, p->input1_shift);
  const mtvm__small_rescale_t r2 = mtvm__small_rescale(p->input2_multiplier, p->input2_shift);
  const mtvm__small_rescale_t ro = mtvm__small_rescale(p->output_multiplier, p->output_shift);
  const int32_t offset1 = p->input1_offset, offset2 = p->input2_offset;
  const int32_t scale = (int32_t)1 << (p->left_shift + 1); /* the headroom, and the doubling */
  const int32_t out_offset = p->output_offset, lo = p->act_min, hi = p->act_max, size = p->size;
  for (int32_t i = 0; i < size; ++i) {
    const int32_t x1 = mtvm__apply_small_rescale((offset1 + (int32_t)in1[i]) * scale, r1);
    const int32_t x2 = mtvm__apply_small_rescale((offset2 + (int32_t)in2[i]) * scale, r2);
    const int32_t v = mtvm__apply_small_rescale(2 * (x1 + sign * x2), ro) + out_offset;
    out[i] = (int8_t)(v < lo ? lo : (v > hi ? hi : v));
  }
}

static MTVM_DEFINE_BINARY_KERNEL(add_s8_any, int8_t, mtvm_addsub_s8_params_t, mtvm__add_s8_elem)
static MTVM_DEFINE_BINARY_KERNEL(sub_s8_any, int8_t, mtvm_addsub_s8_params_t, mtvm__sub_s8_elem)

void mtvm_add_s8(const mtvm_addsub_s8_params_t* p, const int8_t* in1, const int8_t* in2, int8_t* out) {
  if (mtvm__addsub_small(p)) {
    mtvm__addsub_s8_small(p, in1, in2, out, 1);
  } else {
    mtvm_add_s8_any(p, in1, in2, out);
  }
}

void mtvm_sub_s8(const mtvm_addsub_s8_params_t* p, const int8_t* in1, const int8_t* in2, int8_t* out) {
  if (mtvm__addsub_small(p)) {
    mtvm__addsub_s8_small(p, in1, in2, out, -1);
  } else {
    mtvm_sub_s8_any(p, in1, in2, out);
  }
}
MTVM_DEFINE_BINARY_KERNEL(mul_s8, int8_t, mtvm_mul_s8_params_t, mtvm__mul_s8_elem)
MTVM_DEFINE_BINARY_KERNEL(maximum_s8, int8_t, mtvm_minmax_params_t, MTVM__MAX_ELEM)
MTVM_DEFINE_BINARY_KERNEL(minimum_s8, int8_t, mtvm_minmax_params_t, MTVM__MIN_ELEM)
MTVM_DEFINE_BINARY_KERNEL(add_f32, float, mtvm_arith_f32_params_t, mtvm__add_f32_elem)
MTVM_DEFINE_BINARY_KERNEL(sub_f32, float, mtvm_arith_f32_params_t, mtvm__sub_f32_elem)
MTVM_DEFINE_BINARY_KERNEL(mul_f32, float, mtvm_arith_f32_params_t, mtvm__mul_f32_elem)
MTVM_DEFINE_BINARY_KERNEL(maximum_f32, float, mtvm_minmax_params_t, MTVM__MAX_ELEM)
MTVM_DEFINE_BINARY_KERNEL(minimum_f32, float, mtvm_minmax_params_t, MTVM__MIN_ELEM)

/* ---- unary kernels ------------------------------------------------------------------------ */

void mtvm_lut_s8(const mtvm_lut_s8_params_t* p, const int8_t* table, const int8_t* in, int8_t* out) {
  for (int32_t i = 0; i < p->size; ++i) {
    out[i] = table[(int32_t)in[i] + 128];
  }
}

void mtvm_relu_f32(const mtvm_relu_f32_params_t* p, const float* in, float* out) {
  for (int32_t i = 0; i < p->size; ++i) {
    out[i] = mtvm_clamp_f32(in[i], p->lo, p->hi); /* a NaN stays NaN, as in LiteRT */
  }
}

void mtvm_leaky_relu_f32(const mtvm_leaky_relu_f32_params_t* p, const float* in, float* out) {
  for (int32_t i = 0; i < p->size; ++i) {
    const float x = in[i];
    out[i] = x > 0.0f ? x : x * p->alpha;
  }
}

void mtvm_hard_swish_f32(const mtvm_hard_swish_f32_params_t* p, const float* in, float* out) {
  for (int32_t i = 0; i < p->size; ++i) {
    const float x = in[i];
    const float shifted = x + 3.0f;
    const float relu6 = 0.0f < shifted ? (6.0f < shifted ? 6.0f : shifted) : 0.0f;
    out[i] = x * relu6 / 6.0f;
  }
}
