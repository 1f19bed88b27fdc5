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

static void mtvm_addsub_s8_small(const mtvm_addsub_s8_params_t* p, const int8_t* in1, const int8_t* in2,
                                 int8_t* out, int32_t sign) {
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
