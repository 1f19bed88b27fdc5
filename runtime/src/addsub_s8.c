/*
 * int8 ADD and SUB (see mtvm/elementwise.h): TFLite's reference AddElementwise/SubElementwise,
 * both inputs rescaled to a common scale with 20 bits of headroom, added or subtracted, then
 * rescaled to the output, with broadcasting; and a shorter form of the same arithmetic for
 * inputs of the output's shape (below).
 */
#include <stdint.h>

#include "elementwise_internal.h"
#include "mtvm/elementwise.h"

static inline int8_t mtvm_add_s8_elem(const mtvm_addsub_s8_params_t* p, int8_t a, int8_t b) {
  return (int8_t)mtvm_addsub_elem(p, a, b, 1);
}

static inline int8_t mtvm_sub_s8_elem(const mtvm_addsub_s8_params_t* p, int8_t a, int8_t b) {
  return (int8_t)mtvm_addsub_elem(p, a, b, -1);
}

/*
 * int8 ADD and SUB without broadcast, in fewer instructions per element (ResNet-style models
 * spend a tenth of their time in ADD otherwise). Each element computes exactly what
 * mtvm_add_s8_elem / mtvm_sub_s8_elem compute, using that every operand is small: an input
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
} mtvm_small_rescale_t;

static inline mtvm_small_rescale_t mtvm_small_rescale(int32_t multiplier, int32_t tflite_shift) {
  mtvm_small_rescale_t r;
  r.multiplier = multiplier;
  r.shift = -tflite_shift;
  r.half = r.shift > 0 ? (int32_t)1 << (r.shift - 1) : 0;
  r.negative = r.shift > 0 ? 1 : 0;
  return r;
}

/* Takes 2v: callers fold the doubling into their own shift. */
static inline int32_t mtvm_apply_small_rescale(int32_t twice_v, mtvm_small_rescale_t r) {
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
  /* SMMULR: (a * b + 2^31) >> 32 of 2v (below 2^31): the same floor. */
  int32_t t;
  __asm__("smmulr %0, %1, %2" : "=r"(t) : "r"(twice_v), "r"(r.multiplier));
#else
  const int32_t t = (int32_t)(((int64_t)twice_v * r.multiplier + ((int64_t)1 << 31)) >> 32);
#endif
  return (t + r.half - (t < 0 ? r.negative : 0)) >> r.shift;
}

static int mtvm_addsub_small(const mtvm_addsub_s8_params_t* p) {
  return p->bcast.rank == 0 && p->left_shift >= 0 && p->left_shift <= 21 && p->input1_shift <= 0 &&
         p->input2_shift <= 0 && p->output_shift <= 0 && p->input1_multiplier >= 0 &&
         p->input2_multiplier >= 0 && p->output_multiplier >= 0;
}

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1) && defined(__GNUC__) && defined(__OPTIMIZE__)
#include <arm_mve.h>
#define MTVM_ADDSUB_MVE 1

/*
 * Helium: mtvm_apply_small_rescale on four int32 lanes, given v (not 2v): VQRDMULH is
 * (2 * v * m + 2^31) >> 32, the SMMULR of 2v above (no saturation: |v| < 2^30); then, for a
 * right shift e >= 1, t - (t < 0) (adding t >> 31 where `round_negative` is all ones) and VRSHL
 * by -e, which adds 2^(e-1) before shifting: floor((t + 2^(e-1) - (t < 0)) / 2^e). For e = 0
 * both steps leave t as it is (round_negative is zero).
 */
static inline int32x4_t mtvm_small_rescale_x4(int32x4_t v, int32_t multiplier, int32x4_t round_negative,
                                              int32x4_t minus_shift) {
  const int32x4_t t = vqrdmulhq_n_s32(v, multiplier);
  return vrshlq_s32(vaddq_s32(t, vandq_s32(vshrq_n_s32(t, 31), round_negative)), minus_shift);
}
#else
#define MTVM_ADDSUB_MVE 0
#endif

static void mtvm_addsub_s8_small(const mtvm_addsub_s8_params_t* p, const int8_t* in1, const int8_t* in2,
                                 int8_t* out, int32_t sign) {
#if MTVM_ADDSUB_MVE
  /* Four elements per step, the last ones under a tail predicate (VCTP32): loads widen four
     bytes to int32 lanes (VLDRB.S32), the store narrows them back (VSTRB.32). Each input term
     is (offset + x) << left_shift, v of mtvm_small_rescale_x4 (the doubling is VQRDMULH's). */
  const mtvm_small_rescale_t r1 = mtvm_small_rescale(p->input1_multiplier, p->input1_shift);
  const mtvm_small_rescale_t r2 = mtvm_small_rescale(p->input2_multiplier, p->input2_shift);
  const mtvm_small_rescale_t ro = mtvm_small_rescale(p->output_multiplier, p->output_shift);
  const int32x4_t neg1 = vdupq_n_s32(-r1.negative), neg2 = vdupq_n_s32(-r2.negative), nego = vdupq_n_s32(-ro.negative);
  const int32x4_t sh1 = vdupq_n_s32(-r1.shift), sh2 = vdupq_n_s32(-r2.shift), sho = vdupq_n_s32(-ro.shift);
  const int32_t scale = (int32_t)1 << p->left_shift;
  const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
  for (int32_t i = 0; i < p->size; i += 4) {
    const mve_pred16_t pred = vctp32q((uint32_t)(p->size - i));
    const int32x4_t a = vmulq_n_s32(vaddq_n_s32(vldrbq_z_s32(in1 + i, pred), p->input1_offset), scale);
    const int32x4_t b = vmulq_n_s32(vaddq_n_s32(vldrbq_z_s32(in2 + i, pred), p->input2_offset), scale);
    const int32x4_t x1 = mtvm_small_rescale_x4(a, r1.multiplier, neg1, sh1);
    const int32x4_t x2 = mtvm_small_rescale_x4(b, r2.multiplier, neg2, sh2);
    const int32x4_t sum = sign > 0 ? vaddq_s32(x1, x2) : vsubq_s32(x1, x2);
    const int32x4_t v = vaddq_n_s32(mtvm_small_rescale_x4(sum, ro.multiplier, nego, sho), p->output_offset);
    vstrbq_p_s32(out + i, vminq_s32(vmaxq_s32(v, lo), hi), pred);
  }
  return;
#endif
#if !MTVM_ADDSUB_MVE
  const mtvm_small_rescale_t r1 = mtvm_small_rescale(p->input1_multiplier, p->input1_shift);
  const mtvm_small_rescale_t r2 = mtvm_small_rescale(p->input2_multiplier, p->input2_shift);
  const mtvm_small_rescale_t ro = mtvm_small_rescale(p->output_multiplier, p->output_shift);
  const int32_t offset1 = p->input1_offset, offset2 = p->input2_offset;
  const int32_t scale = (int32_t)1 << (p->left_shift + 1); /* the headroom, and the doubling */
  const int32_t out_offset = p->output_offset, lo = p->act_min, hi = p->act_max, size = p->size;
  for (int32_t i = 0; i < size; ++i) {
    const int32_t x1 = mtvm_apply_small_rescale((offset1 + (int32_t)in1[i]) * scale, r1);
    const int32_t x2 = mtvm_apply_small_rescale((offset2 + (int32_t)in2[i]) * scale, r2);
    const int32_t v = mtvm_apply_small_rescale(2 * (x1 + sign * x2), ro) + out_offset;
    out[i] = (int8_t)(v < lo ? lo : (v > hi ? hi : v));
  }
#endif
}

static MTVM_DEFINE_BINARY_KERNEL(add_s8_any, int8_t, mtvm_addsub_s8_params_t, mtvm_add_s8_elem)
static MTVM_DEFINE_BINARY_KERNEL(sub_s8_any, int8_t, mtvm_addsub_s8_params_t, mtvm_sub_s8_elem)

void mtvm_add_s8(const mtvm_addsub_s8_params_t* p, const int8_t* in1, const int8_t* in2, int8_t* out) {
  if (mtvm_addsub_small(p)) {
    mtvm_addsub_s8_small(p, in1, in2, out, 1);
  } else {
    mtvm_add_s8_any(p, in1, in2, out);
  }
}

void mtvm_sub_s8(const mtvm_addsub_s8_params_t* p, const int8_t* in1, const int8_t* in2, int8_t* out) {
  if (mtvm_addsub_small(p)) {
    mtvm_addsub_s8_small(p, in1, in2, out, -1);
  } else {
    mtvm_sub_s8_any(p, in1, in2, out);
  }
}
