/*
 * What the int8 convolution kernels share (conv_s8_*.c, depthwise_conv_s8_*.c,
 * fully_connected_s8.c): the DSP feature switch, the requantization of an accumulator to int8,
 * and where an output pixel's window lies in the NHWC input. Family-internal: generated code
 * includes mtvm/conv.h only. The inner multiply-accumulate loops are in conv_mac_s8.h.
 *
 * See mtvm/conv.h for the parameter structs, the weight layouts and the rounding of each kernel.
 */
#ifndef MTVM_CONV_INTERNAL_H_
#define MTVM_CONV_INTERNAL_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mtvm/conv.h"
#include "mtvm/nhwc.h"
#include "mtvm/quant.h"

/* The DSP paths use GNU inline assembly where GCC's own code would lose instructions (SXTB16 of
   a rotated register, SMMULR, register-hungry inner loops); they need an optimizing build, as
   the inner loop uses 13 registers. */
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__OPTIMIZE__)
#define MTVM_CONV_DSP 1
#include <arm_acle.h>
#else
#define MTVM_CONV_DSP 0
#endif

/* Helium (MVE, Armv8.1-M: Cortex-M55, M85), which those cores have beside the DSP extension: the
   inner multiply-accumulate loops (conv_mac_s8.h) and the depthwise kernel use 128-bit vectors
   of 16 int8 (VMLADAVA: a 16-lane dot product into a scalar int32) or 4 int32 lanes, with ACLE
   intrinsics; the scalar DSP requantization stays. */
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1) && defined(__GNUC__) && defined(__OPTIMIZE__)
#define MTVM_CONV_MVE 1
#include <arm_mve.h>
#else
#define MTVM_CONV_MVE 0
#endif

/* The blocked kernels are written once with a `fast` (or `in_double`) flag and instantiated per
   entry point with a constant: forcing the inlining makes the flag fold away. */
#if defined(__GNUC__)
#define MTVM_CONV_INLINE static inline __attribute__((always_inline))
#else
#define MTVM_CONV_INLINE static inline
#endif

#if MTVM_CONV_DSP
/* Four bytes from any address (Armv7-M and Armv8-M load words unaligned). */
static inline uint32_t mtvm_load32(const int8_t* p) {
  uint32_t v;
  memcpy(&v, p, sizeof(v));
  return v;
}

/* Bytes 1 and 3 of x, sign-extended into the two 16-bit halves (bytes 0 and 2: __sxtb16). */
static inline int32_t mtvm_sxtb16_ror8(uint32_t x) {
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}

/* (a * b + 2^31) >> 32, the rounded high word of the product. */
static inline int32_t mtvm_smmulr(int32_t a, int32_t b) {
  int32_t r;
  __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
#endif

/* ---- requantization ------------------------------------------------------------------------ */

/* How an operator turns accumulators into int8 outputs. */
typedef struct {
  int32_t offset, lo, hi; /* output zero point, clamp range */
  int32_t half_offset;    /* 1 + 2 * offset, for mtvm_requantize_fast_full */
} mtvm_output_stage_t;

static inline mtvm_output_stage_t mtvm_make_output_stage(int32_t offset, int32_t lo, int32_t hi) {
  mtvm_output_stage_t s = {offset, lo, hi, 1 + 2 * offset};
  return s;
}

/*
 * TFLite's MultiplyByQuantizedMultiplier(acc, multiplier, shift) + offset, clamped to int8, for
 * a right shift (shift < 0), |acc| < 2^30 (or a zero multiplier) and no clamp narrower than
 * int8, which the generator guarantees before it calls a kernel without the _general suffix:
 *   - the rounding doubling high multiply (nudge, then truncating division by 2^31) equals
 *     t = floor((acc * multiplier + 2^30) / 2^31) = floor((2 * acc * multiplier + 2^31) / 2^32),
 *     which is SMMULR of 2 * acc (no overflow below 2^30);
 *   - the rounding right shift by e = -shift (halves away from zero) equals
 *     floor((t' + 2^(e-1)) / 2^e) with t' = t - (t < 0), which is
 *     floor((floor(t' / 2^(e-1)) + 1) / 2); adding the offset before halving, as 2 * offset,
 *     gives the same integer. e - 1 = ~shift. Nothing overflows, as |t| <= |acc|.
 */
static inline int32_t mtvm_requantize_fast_full(int32_t acc, int32_t multiplier, int32_t shift,
                                                int32_t half_offset) {
#if MTVM_CONV_DSP
  /* Doubled in unsigned arithmetic: a channel whose multiplier is zero may have any
     accumulator (its output is the zero point), and signed overflow would be undefined. */
  int32_t t = mtvm_smmulr((int32_t)((uint32_t)acc << 1), multiplier);
  t += t >> 31;
  return __ssat(((t >> ~shift) + half_offset) >> 1, 8);
#else
  int32_t t = (int32_t)(((int64_t)acc * multiplier + (1LL << 30)) >> 31);
  t += t >> 31;
  const int32_t v = ((t >> ~shift) + half_offset) >> 1;
  return v < -128 ? -128 : (v > 127 ? 127 : v);
#endif
}

#if MTVM_CONV_MVE
/*
 * mtvm_requantize_fast_full on four lanes (same contract: right shifts, |acc| < 2^30, no clamp
 * narrower than int8): VQRDMULH computes the saturated (2 * acc * multiplier + 2^31) >> 32,
 * which is SMMULR of 2 * acc (it cannot saturate: |2 * acc * multiplier| < 2^61); VSHL by the
 * negative count shift + 1 = -(e - 1) is the arithmetic right shift by ~shift. Then the same
 * halving with the offset, and the int8 clamp. shift_plus_one: each lane's shift + 1 (<= 0).
 */
static inline int32x4_t mtvm_requantize_fast_x4(int32x4_t acc, int32x4_t multiplier, int32x4_t shift_plus_one,
                                                int32_t half_offset) {
  int32x4_t t = vqrdmulhq_s32(acc, multiplier);
  t = vaddq_s32(t, vshrq_n_s32(t, 31));
  t = vshrq_n_s32(vaddq_n_s32(vshlq_s32(t, shift_plus_one), half_offset), 1);
  return vminq_s32(vmaxq_s32(t, vdupq_n_s32(-128)), vdupq_n_s32(127));
}

/* The multipliers and shifts + 1 of channels c..c+3 from requant ([c][2]: multiplier, shift). */
static inline void mtvm_load_requant_x4(const int32_t* requant, int32x4_t* multiplier, int32x4_t* shift_plus_one) {
  static const uint32_t even[4] = {0, 2, 4, 6};
  const uint32x4_t offsets = vld1q_u32(even);
  *multiplier = vldrwq_gather_shifted_offset_s32(requant, offsets);
  *shift_plus_one = vaddq_n_s32(vldrwq_gather_shifted_offset_s32(requant + 1, offsets), 1);
}
#endif

/* Any operator, any clamp range: TFLite's arithmetic as it is written (mtvm/quant.h). */
static inline int32_t mtvm_requantize_general(int32_t acc, int32_t multiplier, int32_t shift,
                                              mtvm_output_stage_t s) {
  const int32_t v = mtvm_multiply_by_quantized_multiplier(acc, multiplier, (int)shift) + s.offset;
  return v < s.lo ? s.lo : (v > s.hi ? s.hi : v);
}

/* requant = {multiplier, shift} of the output channel. `fast` is a compile-time constant: 1 in
   the kernels without the _general suffix. */
MTVM_CONV_INLINE int8_t mtvm_conv_requantize(int32_t acc, const int32_t* requant, mtvm_output_stage_t s,
                                             int fast) {
  if (fast) {
    return (int8_t)mtvm_requantize_fast_full(acc, requant[0], requant[1], s.half_offset);
  }
  return (int8_t)mtvm_requantize_general(acc, requant[0], requant[1], s);
}

/* ---- windows ------------------------------------------------------------------------------- */

/* Where output pixel `pixel` (raster order over batches, rows and columns) reads its input:
   the batch image and the window's top left corner (possibly outside the image). */
typedef struct {
  const int8_t* image;
  int32_t iy0, ix0;
} mtvm_window_origin_t;

static inline mtvm_window_origin_t mtvm_conv_window_at(const mtvm_conv_geometry_t* g, const int8_t* input,
                                                       int32_t pixel) {
  const int32_t per_image = g->out_h * g->out_w;
  const int32_t b = pixel / per_image;
  const int32_t oy = (pixel - b * per_image) / g->out_w;
  const int32_t ox = pixel - b * per_image - oy * g->out_w;
  mtvm_window_origin_t o;
  o.image = input + mtvm_nhwc_offset(b, 0, 0, g->in_h, g->in_w, g->in_c);
  o.iy0 = oy * g->stride_h - g->pad_top;
  o.ix0 = ox * g->stride_w - g->pad_left;
  return o;
}

/* The input channels of the pixel at the corner of a window that lies inside the image. */
static inline const int8_t* mtvm_window_corner(const mtvm_conv_geometry_t* g, mtvm_window_origin_t o) {
  return o.image + mtvm_nhwc_offset(0, o.iy0, o.ix0, g->in_h, g->in_w, g->in_c);
}

/* Offsets of a window's taps from its top left corner, for windows inside the image. */
typedef struct {
  int32_t n_taps;
  int32_t last_dy, last_dx; /* the bottom right tap, relative to the corner */
  int32_t offset[MTVM_CONV_MAX_TAPS];
} mtvm_window_shape_t;

static inline void mtvm_make_window_shape(const mtvm_conv_geometry_t* g, mtvm_window_shape_t* w) {
  w->n_taps = g->filter_h * g->filter_w;
  w->last_dy = (g->filter_h - 1) * g->dilation_h;
  w->last_dx = (g->filter_w - 1) * g->dilation_w;
  int32_t t = 0;
  for (int32_t ky = 0; ky < g->filter_h; ++ky) {
    for (int32_t kx = 0; kx < g->filter_w; ++kx, ++t) {
      w->offset[t] = (ky * g->dilation_h * g->in_w + kx * g->dilation_w) * g->in_c;
    }
  }
}

/* A pointer to channel `channel` of each window tap of `pixel`, or `pad` for taps outside the
   image (n_taps <= MTVM_CONV_MAX_TAPS). */
static inline void mtvm_window_taps(const mtvm_conv_geometry_t* g, const mtvm_window_shape_t* shape,
                                    const int8_t* input, int32_t pixel, int32_t channel, const int8_t* pad,
                                    const int8_t** taps) {
  const mtvm_window_origin_t o = mtvm_conv_window_at(g, input, pixel);
  if (o.iy0 >= 0 && o.ix0 >= 0 && o.iy0 + shape->last_dy < g->in_h && o.ix0 + shape->last_dx < g->in_w) {
    const int8_t* corner = mtvm_window_corner(g, o) + channel;
    for (int32_t t = 0; t < shape->n_taps; ++t) {
      taps[t] = corner + shape->offset[t];
    }
    return;
  }
  for (int32_t ky = 0; ky < g->filter_h; ++ky) {
    const int32_t iy = o.iy0 + ky * g->dilation_h;
    const int row_inside = iy >= 0 && iy < g->in_h;
    const int8_t* row = o.image + mtvm_nhwc_offset(0, row_inside ? iy : 0, 0, g->in_h, g->in_w, g->in_c);
    for (int32_t kx = 0; kx < g->filter_w; ++kx) {
      const int32_t ix = o.ix0 + kx * g->dilation_w;
      const int inside = row_inside && ix >= 0 && ix < g->in_w;
      *taps++ = inside ? row + (size_t)ix * (size_t)g->in_c + (size_t)channel : pad;
    }
  }
}

#endif /* MTVM_CONV_INTERNAL_H_ */
