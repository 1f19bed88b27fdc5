/*
 * The inner multiply-accumulate loops of the int8 convolution kernels: int8 x int8 products
 * summed into int32 accumulators, several outputs at once so that each value loaded is used
 * several times. Family-internal (see conv_internal.h).
 *
 * With the Cortex-M DSP extension four int8 values are sign-extended into two pairs of 16-bit
 * halves (SXTB16 of the word and of the word rotated by 8: bytes 0,2 and bytes 1,3) and one
 * SMLAD multiplies and adds two pairs. Input and weights are split the same way, so the pairs
 * line up without any reordering. The portable C loops compute the same sums (int32 sums of
 * int8 products do not depend on the order of the additions as long as nothing overflows, and
 * the generator keeps every accumulator inside int32).
 */
#ifndef MTVM_CONV_MAC_S8_H_
#define MTVM_CONV_MAC_S8_H_

#include <stdint.h>

#include "conv_internal.h"

/* Four accumulators that a loop keeps in registers. */
typedef struct {
  int32_t a0, a1, a2, a3;
} mtvm_acc4_t;

#if MTVM_CONV_DSP
/* One 4-byte chunk of mtvm_mac_2x2: 20 instructions for 16 multiply-accumulates. acc: pixel a
   channels 0, 1, pixel b channels 0, 1. Advances xa and xb by 4, w by 8. */
MTVM_CONV_INLINE void mtvm_mac_2x2_chunk(const int8_t** xa, const int8_t** xb, const int8_t** w, mtvm_acc4_t* acc) {
  int32_t a00 = acc->a0, a01 = acc->a1, a10 = acc->a2, a11 = acc->a3;
  const int8_t *pa = *xa, *pb = *xb, *pw = *w;
  uint32_t t0, t1, t2, t3, t4, t5;
  __asm__(
      "ldr %[t0], [%[xa]], #4\n\t"
      "ldr %[t1], [%[xb]], #4\n\t"
      "ldr %[t2], [%[w]], #8\n\t"
      "sxtb16 %[t3], %[t0]\n\t"
      "sxtb16 %[t0], %[t0], ror #8\n\t"
      "sxtb16 %[t4], %[t1]\n\t"
      "sxtb16 %[t1], %[t1], ror #8\n\t"
      "sxtb16 %[t5], %[t2]\n\t"
      "sxtb16 %[t2], %[t2], ror #8\n\t"
      "smlad %[a00], %[t3], %[t5], %[a00]\n\t"
      "smlad %[a00], %[t0], %[t2], %[a00]\n\t"
      "smlad %[a10], %[t4], %[t5], %[a10]\n\t"
      "smlad %[a10], %[t1], %[t2], %[a10]\n\t"
      "ldr %[t2], [%[w], #-4]\n\t"
      "sxtb16 %[t5], %[t2]\n\t"
      "sxtb16 %[t2], %[t2], ror #8\n\t"
      "smlad %[a01], %[t3], %[t5], %[a01]\n\t"
      "smlad %[a01], %[t0], %[t2], %[a01]\n\t"
      "smlad %[a11], %[t4], %[t5], %[a11]\n\t"
      "smlad %[a11], %[t1], %[t2], %[a11]"
      : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [xa] "+r"(pa), [xb] "+r"(pb),
        [w] "+r"(pw), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4),
        [t5] "=&r"(t5)
      :
      : "memory");
  acc->a0 = a00;
  acc->a1 = a01;
  acc->a2 = a10;
  acc->a3 = a11;
  *xa = pa;
  *xb = pb;
  *w = pw;
}

/* One 4-byte chunk of mtvm_mac_1x4: 23 instructions for 16 multiply-accumulates. Advances x by
   4 and w by 16. */
MTVM_CONV_INLINE void mtvm_mac_1x4_chunk(const int8_t** x, const int8_t** w, mtvm_acc4_t* acc) {
  int32_t a0 = acc->a0, a1 = acc->a1, a2 = acc->a2, a3 = acc->a3;
  const int8_t *px = *x, *pw = *w;
  uint32_t t0, t1, t2, t3;
  __asm__(
      "ldr %[t0], [%[x]], #4\n\t"
      "ldr %[t2], [%[w]], #16\n\t"
      "sxtb16 %[t1], %[t0], ror #8\n\t"
      "sxtb16 %[t0], %[t0]\n\t"
      "sxtb16 %[t3], %[t2]\n\t"
      "sxtb16 %[t2], %[t2], ror #8\n\t"
      "smlad %[a0], %[t0], %[t3], %[a0]\n\t"
      "smlad %[a0], %[t1], %[t2], %[a0]\n\t"
      "ldr %[t2], [%[w], #-12]\n\t"
      "sxtb16 %[t3], %[t2]\n\t"
      "sxtb16 %[t2], %[t2], ror #8\n\t"
      "smlad %[a1], %[t0], %[t3], %[a1]\n\t"
      "smlad %[a1], %[t1], %[t2], %[a1]\n\t"
      "ldr %[t2], [%[w], #-8]\n\t"
      "sxtb16 %[t3], %[t2]\n\t"
      "sxtb16 %[t2], %[t2], ror #8\n\t"
      "smlad %[a2], %[t0], %[t3], %[a2]\n\t"
      "smlad %[a2], %[t1], %[t2], %[a2]\n\t"
      "ldr %[t2], [%[w], #-4]\n\t"
      "sxtb16 %[t3], %[t2]\n\t"
      "sxtb16 %[t2], %[t2], ror #8\n\t"
      "smlad %[a3], %[t0], %[t3], %[a3]\n\t"
      "smlad %[a3], %[t1], %[t2], %[a3]"
      : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(px), [w] "+r"(pw),
        [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3)
      :
      : "memory");
  acc->a0 = a0;
  acc->a1 = a1;
  acc->a2 = a2;
  acc->a3 = a3;
  *x = px;
  *w = pw;
}
#else
/* The two signed 16-bit halves of a word of depthwise weight_pairs: bits 0..15, bits 16..31. */
static inline int32_t mtvm_low_half(int32_t v) { return ((v & 0xFFFF) ^ 0x8000) - 0x8000; }
static inline int32_t mtvm_high_half(int32_t v) { return (v - (v & 0xFFFF)) / 65536; }
#endif

#if MTVM_CONV_MVE
/*
 * Helium: 16 bytes of k at a time. A channel pair's interleaved weights ([oc0 k0..3][oc1 k0..3]
 * [oc0 k4..7]...) hold k0..15 of channel 0 at bytes 0..3, 8..11, 16..19, 24..27 of each 32 (and
 * channel 1 at the same +4): one gather load (VLDRB with a vector of byte offsets) collects
 * them in k order, lined up with 16 contiguous input bytes, and VMLADAVA adds the 16 products
 * to a scalar int32 accumulator (exact: the same sum as the portable loop). A group of four
 * rows (FULLY_CONNECTED, [r0 k0..3][r1 k0..3][r2 k0..3][r3 k0..3]...) is the same with 64-byte
 * blocks. The last k % 16 bytes use the same instructions with a tail predicate (VCTP8): the
 * loads read nothing beyond it and give zeros, which add nothing.
 */
static const uint8_t mtvm_mve_pair_offsets[16] = {0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27};
static const uint8_t mtvm_mve_quad_offsets[16] = {0, 1, 2, 3, 16, 17, 18, 19, 32, 33, 34, 35, 48, 49, 50, 51};
#endif

/*
 * acc (pixel a: channels 0, 1; pixel b: channels 0, 1) += the dot products of `chunks` 4-byte
 * chunks of xa and xb with a channel pair's interleaved weights ([oc0 k0..3][oc1 k0..3]...);
 * returns the weights that follow.
 */
MTVM_CONV_INLINE const int8_t* mtvm_mac_2x2(const int8_t* xa, const int8_t* xb, const int8_t* w, int32_t chunks,
                                            mtvm_acc4_t* acc) {
#if MTVM_CONV_MVE
  int32_t a00 = acc->a0, a01 = acc->a1, a10 = acc->a2, a11 = acc->a3;
  const uint8x16_t offsets = vld1q_u8(mtvm_mve_pair_offsets);
  const int8_t* const end = w + (size_t)chunks * 8;
  int32_t n = chunks * 4;
  for (; n >= 16; n -= 16, xa += 16, xb += 16, w += 32) {
    const int8x16_t w0 = vldrbq_gather_offset_s8(w, offsets);
    const int8x16_t w1 = vldrbq_gather_offset_s8(w + 4, offsets);
    const int8x16_t x0 = vld1q_s8(xa);
    const int8x16_t x1 = vld1q_s8(xb);
    a00 = vmladavaq_s8(a00, x0, w0);
    a01 = vmladavaq_s8(a01, x0, w1);
    a10 = vmladavaq_s8(a10, x1, w0);
    a11 = vmladavaq_s8(a11, x1, w1);
  }
  if (n > 0) {
    const mve_pred16_t p = vctp8q((uint32_t)n);
    const int8x16_t w0 = vldrbq_gather_offset_z_s8(w, offsets, p);
    const int8x16_t w1 = vldrbq_gather_offset_z_s8(w + 4, offsets, p);
    const int8x16_t x0 = vld1q_z_s8(xa, p);
    const int8x16_t x1 = vld1q_z_s8(xb, p);
    a00 = vmladavaq_s8(a00, x0, w0);
    a01 = vmladavaq_s8(a01, x0, w1);
    a10 = vmladavaq_s8(a10, x1, w0);
    a11 = vmladavaq_s8(a11, x1, w1);
  }
  acc->a0 = a00;
  acc->a1 = a01;
  acc->a2 = a10;
  acc->a3 = a11;
  return end;
#elif MTVM_CONV_DSP
  mtvm_acc4_t a = *acc;
  for (; chunks >= 2; chunks -= 2) {
    mtvm_mac_2x2_chunk(&xa, &xb, &w, &a);
    mtvm_mac_2x2_chunk(&xa, &xb, &w, &a);
  }
  if (chunks > 0) {
    mtvm_mac_2x2_chunk(&xa, &xb, &w, &a);
  }
  *acc = a;
  return w;
#else
  int32_t a00 = acc->a0, a01 = acc->a1, a10 = acc->a2, a11 = acc->a3;
  for (int32_t c = 0; c < chunks; ++c, xa += 4, xb += 4, w += 8) {
    for (int32_t i = 0; i < 4; ++i) {
      const int32_t w0 = w[i], w1 = w[4 + i];
      a00 += (int32_t)xa[i] * w0;
      a01 += (int32_t)xa[i] * w1;
      a10 += (int32_t)xb[i] * w0;
      a11 += (int32_t)xb[i] * w1;
    }
  }
  acc->a0 = a00;
  acc->a1 = a01;
  acc->a2 = a10;
  acc->a3 = a11;
  return w;
#endif
}

#if MTVM_CONV_MVE
/* Helium only: two pixels by two channel pairs (weights w0 and w1, each interleaved as for
   mtvm_mac_2x2), eight accumulators: pa[0..3] pixel a channels 0..3 (channels 0, 1 from w0,
   2, 3 from w1), pb[0..3] pixel b, added to. One pass over the inputs for four channels. */
MTVM_CONV_INLINE void mtvm_mac_2x4(const int8_t* xa, const int8_t* xb, const int8_t* w0, const int8_t* w1,
                                   int32_t chunks, int32_t pa[4], int32_t pb[4]) {
  int32_t a0 = pa[0], a1 = pa[1], a2 = pa[2], a3 = pa[3], b0 = pb[0], b1 = pb[1], b2 = pb[2], b3 = pb[3];
  const uint8x16_t offsets = vld1q_u8(mtvm_mve_pair_offsets);
  const uint8x16_t offsets4 = vaddq_n_u8(offsets, 4);
  int32_t n = chunks * 4;
  for (; n >= 16; n -= 16, xa += 16, xb += 16, w0 += 32, w1 += 32) {
    const int8x16_t x0 = vld1q_s8(xa);
    const int8x16_t x1 = vld1q_s8(xb);
    int8x16_t wv = vldrbq_gather_offset_s8(w0, offsets);
    a0 = vmladavaq_s8(a0, x0, wv);
    b0 = vmladavaq_s8(b0, x1, wv);
    wv = vldrbq_gather_offset_s8(w0, offsets4);
    a1 = vmladavaq_s8(a1, x0, wv);
    b1 = vmladavaq_s8(b1, x1, wv);
    wv = vldrbq_gather_offset_s8(w1, offsets);
    a2 = vmladavaq_s8(a2, x0, wv);
    b2 = vmladavaq_s8(b2, x1, wv);
    wv = vldrbq_gather_offset_s8(w1, offsets4);
    a3 = vmladavaq_s8(a3, x0, wv);
    b3 = vmladavaq_s8(b3, x1, wv);
  }
  if (n > 0) {
    const mve_pred16_t p = vctp8q((uint32_t)n);
    const int8x16_t x0 = vld1q_z_s8(xa, p);
    const int8x16_t x1 = vld1q_z_s8(xb, p);
    int8x16_t wv = vldrbq_gather_offset_z_s8(w0, offsets, p);
    a0 = vmladavaq_s8(a0, x0, wv);
    b0 = vmladavaq_s8(b0, x1, wv);
    wv = vldrbq_gather_offset_z_s8(w0, offsets4, p);
    a1 = vmladavaq_s8(a1, x0, wv);
    b1 = vmladavaq_s8(b1, x1, wv);
    wv = vldrbq_gather_offset_z_s8(w1, offsets, p);
    a2 = vmladavaq_s8(a2, x0, wv);
    b2 = vmladavaq_s8(b2, x1, wv);
    wv = vldrbq_gather_offset_z_s8(w1, offsets4, p);
    a3 = vmladavaq_s8(a3, x0, wv);
    b3 = vmladavaq_s8(b3, x1, wv);
  }
  pa[0] = a0;
  pa[1] = a1;
  pa[2] = a2;
  pa[3] = a3;
  pb[0] = b0;
  pb[1] = b1;
  pb[2] = b2;
  pb[3] = b3;
}
#endif

/* acc[0] (pixel a), acc[1] (pixel b) += dot products of `chunks` 4-byte chunks with one plain
   weight row; returns the weights that follow. */
static inline const int8_t* mtvm_mac_2x1(const int8_t* xa, const int8_t* xb, const int8_t* w, int32_t chunks,
                                         int32_t acc[2]) {
  int32_t a0 = acc[0], a1 = acc[1];
#if MTVM_CONV_MVE
  const int32_t n = chunks * 4;
  for (int32_t i = 0; i < n; i += 16) {
    const mve_pred16_t p = vctp8q((uint32_t)(n - i));
    const int8x16_t wv = vld1q_z_s8(w + i, p);
    a0 = vmladavaq_s8(a0, vld1q_z_s8(xa + i, p), wv);
    a1 = vmladavaq_s8(a1, vld1q_z_s8(xb + i, p), wv);
  }
  w += n;
#else
  for (int32_t c = 0; c < chunks; ++c, xa += 4, xb += 4, w += 4) {
#if MTVM_CONV_DSP
    const uint32_t xaw = mtvm_load32(xa), xbw = mtvm_load32(xb), ww = mtvm_load32(w);
    const int32_t w02 = (int32_t)__sxtb16(ww), w13 = mtvm_sxtb16_ror8(ww);
    a0 = __smlad((int32_t)__sxtb16(xaw), w02, a0);
    a0 = __smlad(mtvm_sxtb16_ror8(xaw), w13, a0);
    a1 = __smlad((int32_t)__sxtb16(xbw), w02, a1);
    a1 = __smlad(mtvm_sxtb16_ror8(xbw), w13, a1);
#else
    for (int32_t i = 0; i < 4; ++i) {
      a0 += (int32_t)xa[i] * w[i];
      a1 += (int32_t)xb[i] * w[i];
    }
#endif
  }
#endif
  acc[0] = a0;
  acc[1] = a1;
  return w;
}

/* acc += x . the rows of a group of four (interleaved 4-byte chunks [r0 k0..3][r1 k0..3]
   [r2 k0..3][r3 k0..3]...); returns the weights that follow the chunks. */
static inline const int8_t* mtvm_mac_1x4(const int8_t* x, const int8_t* w, int32_t chunks, mtvm_acc4_t* acc) {
#if MTVM_CONV_MVE
  int32_t a0 = acc->a0, a1 = acc->a1, a2 = acc->a2, a3 = acc->a3;
  const uint8x16_t offsets = vld1q_u8(mtvm_mve_quad_offsets);
  const int8_t* const end = w + (size_t)chunks * 16;
  int32_t n = chunks * 4;
  for (; n >= 16; n -= 16, x += 16, w += 64) {
    const int8x16_t xv = vld1q_s8(x);
    a0 = vmladavaq_s8(a0, xv, vldrbq_gather_offset_s8(w, offsets));
    a1 = vmladavaq_s8(a1, xv, vldrbq_gather_offset_s8(w + 4, offsets));
    a2 = vmladavaq_s8(a2, xv, vldrbq_gather_offset_s8(w + 8, offsets));
    a3 = vmladavaq_s8(a3, xv, vldrbq_gather_offset_s8(w + 12, offsets));
  }
  if (n > 0) {
    const mve_pred16_t p = vctp8q((uint32_t)n);
    const int8x16_t xv = vld1q_z_s8(x, p);
    a0 = vmladavaq_s8(a0, xv, vldrbq_gather_offset_z_s8(w, offsets, p));
    a1 = vmladavaq_s8(a1, xv, vldrbq_gather_offset_z_s8(w + 4, offsets, p));
    a2 = vmladavaq_s8(a2, xv, vldrbq_gather_offset_z_s8(w + 8, offsets, p));
    a3 = vmladavaq_s8(a3, xv, vldrbq_gather_offset_z_s8(w + 12, offsets, p));
  }
  acc->a0 = a0;
  acc->a1 = a1;
  acc->a2 = a2;
  acc->a3 = a3;
  return end;
#elif MTVM_CONV_DSP
  mtvm_acc4_t a = *acc;
  for (; chunks >= 2; chunks -= 2) {
    mtvm_mac_1x4_chunk(&x, &w, &a);
    mtvm_mac_1x4_chunk(&x, &w, &a);
  }
  if (chunks > 0) {
    mtvm_mac_1x4_chunk(&x, &w, &a);
  }
  *acc = a;
#else
  int32_t a0 = acc->a0, a1 = acc->a1, a2 = acc->a2, a3 = acc->a3;
  for (int32_t c = 0; c < chunks; ++c, x += 4, w += 16) {
    for (int32_t i = 0; i < 4; ++i) {
      a0 += (int32_t)x[i] * w[i];
      a1 += (int32_t)x[i] * w[4 + i];
      a2 += (int32_t)x[i] * w[8 + i];
      a3 += (int32_t)x[i] * w[12 + i];
    }
  }
  acc->a0 = a0;
  acc->a1 = a1;
  acc->a2 = a2;
  acc->a3 = a3;
#endif
  return w;
}

/* sum(x[i] * w[i]) over n bytes, any n. */
static inline int32_t mtvm_dot_s8(const int8_t* x, const int8_t* w, int32_t n) {
  int32_t acc = 0;
  int32_t i = 0;
#if MTVM_CONV_MVE
  for (; i < n; i += 16) {
    const mve_pred16_t p = vctp8q((uint32_t)(n - i));
    acc = vmladavaq_s8(acc, vld1q_z_s8(x + i, p), vld1q_z_s8(w + i, p));
  }
  return acc;
#elif MTVM_CONV_DSP
  for (; i + 4 <= n; i += 4) {
    const uint32_t xw = mtvm_load32(x + i), ww = mtvm_load32(w + i);
    acc = __smlad((int32_t)__sxtb16(xw), (int32_t)__sxtb16(ww), acc);
    acc = __smlad(mtvm_sxtb16_ror8(xw), mtvm_sxtb16_ror8(ww), acc);
  }
#endif
  for (; i < n; ++i) {
    acc += (int32_t)x[i] * w[i];
  }
  return acc;
}

/*
 * One window tap of the depthwise MTVM_DW_QUADS loop: acc (channels c..c+3) += the input
 * channels c..c+3 at *tap times the tap's two words of 16-bit weight halves (channels 0 and 2,
 * channels 1 and 3), as SMLABB and SMLATT multiply them with the halves of the sign-extended
 * input: 9 instructions for 4 multiply-accumulates. Advances *tap by one tap and *w by 2 words.
 */
MTVM_CONV_INLINE void mtvm_dw_mac_tap(const int8_t* const** tap, int32_t c, const int32_t** w, mtvm_acc4_t* acc) {
#if MTVM_CONV_DSP
  int32_t a0 = acc->a0, a1 = acc->a1, a2 = acc->a2, a3 = acc->a3;
  const int8_t* const* pt = *tap;
  const int32_t* pw = *w;
  uint32_t t0, t1, t2, t3;
  __asm__(
      "ldr %[t0], [%[tap]], #4\n\t"
      "ldr %[t0], [%[t0], %[c]]\n\t"
      "ldrd %[t2], %[t3], [%[w]], #8\n\t"
      "sxtb16 %[t1], %[t0]\n\t"
      "sxtb16 %[t0], %[t0], ror #8\n\t"
      "smlabb %[a0], %[t1], %[t2], %[a0]\n\t"
      "smlatt %[a2], %[t1], %[t2], %[a2]\n\t"
      "smlabb %[a1], %[t0], %[t3], %[a1]\n\t"
      "smlatt %[a3], %[t0], %[t3], %[a3]"
      : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [tap] "+r"(pt), [w] "+r"(pw),
        [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3)
      : [c] "r"(c)
      : "memory");
  acc->a0 = a0;
  acc->a1 = a1;
  acc->a2 = a2;
  acc->a3 = a3;
  *tap = pt;
  *w = pw;
#else
  const int8_t* x = *(*tap)++ + c;
  const int32_t* pw = *w;
  acc->a0 += (int32_t)x[0] * mtvm_low_half(pw[0]);
  acc->a2 += (int32_t)x[2] * mtvm_high_half(pw[0]);
  acc->a1 += (int32_t)x[1] * mtvm_low_half(pw[1]);
  acc->a3 += (int32_t)x[3] * mtvm_high_half(pw[1]);
  *w = pw + 2;
#endif
}

#endif /* MTVM_CONV_MAC_S8_H_ */
