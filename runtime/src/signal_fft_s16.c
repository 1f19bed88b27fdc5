/*
 * Complex FFT in Q15 (int16 re/im pairs): kissfft 1.3.0's fixed-point algorithm (FIXED_POINT 16),
 * which TFLM's SignalRfft/SignalIrfft run, reproduced operation for operation so that the int16
 * results are identical:
 *
 * - decimation in time over the stages of kf_factor (radix 4 while it divides, then 2; a
 *   one-point transform is a single radix-1 stage), done here without recursion: the inputs are
 *   first gathered in kf_work's leaf order (mixed-radix digit reversal), then each stage's
 *   butterflies run on every block, innermost stage first;
 * - every butterfly first divides its inputs by the radix, x * (32767 / p) rounded to Q15
 *   (C_FIXDIV), so the transform is scaled by 1/nfft and cannot overflow;
 * - products with twiddles are (a*b + 2^14) >> 15 on int32 sums of two products (C_MUL);
 * - sums and differences are stored to int16 (truncated, like kissfft's int16 stores).
 */
#include <stdint.h>

#include "mtvm/signal.h"

static inline int16_t mtvm__t16(int32_t x) { return (int16_t)(uint16_t)(uint32_t)x; }

/* C_FIXDIV: x * (32767 / k) in Q15, rounded. */
static inline int16_t mtvm__div16(int16_t x, int32_t k) {
  return mtvm__t16(((int32_t)x * (32767 / k) + (1 << 14)) >> 15);
}

/* C_MUL: (ar + i ai)(br + i bi), each part rounded from Q30 to Q15. */
static inline void mtvm__mul16(int16_t ar, int16_t ai, const int16_t* b, int16_t* r, int16_t* i) {
  *r = mtvm__t16(((int32_t)ar * b[0] - (int32_t)ai * b[1] + (1 << 14)) >> 15);
  *i = mtvm__t16(((int32_t)ar * b[1] + (int32_t)ai * b[0] + (1 << 14)) >> 15);
}

static void mtvm__bfly2_s16(int16_t* f, const int16_t* tw, int32_t fstride, int32_t m) {
  for (int32_t j = 0; j < m; ++j) {
    int16_t* a = f + 2 * j;
    int16_t* b = f + 2 * (j + m);
    int16_t tr, ti;
    a[0] = mtvm__div16(a[0], 2);
    a[1] = mtvm__div16(a[1], 2);
    b[0] = mtvm__div16(b[0], 2);
    b[1] = mtvm__div16(b[1], 2);
    mtvm__mul16(b[0], b[1], tw + 2 * (size_t)j * (size_t)fstride, &tr, &ti);
    b[0] = mtvm__t16(a[0] - tr);
    b[1] = mtvm__t16(a[1] - ti);
    a[0] = mtvm__t16(a[0] + tr);
    a[1] = mtvm__t16(a[1] + ti);
  }
}

static void mtvm__bfly4_s16(int16_t* f, const int16_t* tw, int32_t fstride, int32_t m, int32_t inverse) {
  for (int32_t j = 0; j < m; ++j) {
    int16_t* f0 = f + 2 * j;
    int16_t* f1 = f + 2 * (j + m);
    int16_t* f2 = f + 2 * (j + 2 * m);
    int16_t* f3 = f + 2 * (j + 3 * m);
    int16_t s0r, s0i, s1r, s1i, s2r, s2i, s3r, s3i, s4r, s4i, s5r, s5i;
    const size_t t = (size_t)j * (size_t)fstride;
    for (int c = 0; c < 2; ++c) {
      f0[c] = mtvm__div16(f0[c], 4);
      f1[c] = mtvm__div16(f1[c], 4);
      f2[c] = mtvm__div16(f2[c], 4);
      f3[c] = mtvm__div16(f3[c], 4);
    }
    mtvm__mul16(f1[0], f1[1], tw + 2 * t, &s0r, &s0i);
    mtvm__mul16(f2[0], f2[1], tw + 4 * t, &s1r, &s1i);
    mtvm__mul16(f3[0], f3[1], tw + 6 * t, &s2r, &s2i);
    s5r = mtvm__t16(f0[0] - s1r);
    s5i = mtvm__t16(f0[1] - s1i);
    f0[0] = mtvm__t16(f0[0] + s1r);
    f0[1] = mtvm__t16(f0[1] + s1i);
    s3r = mtvm__t16(s0r + s2r);
    s3i = mtvm__t16(s0i + s2i);
    s4r = mtvm__t16(s0r - s2r);
    s4i = mtvm__t16(s0i - s2i);
    f2[0] = mtvm__t16(f0[0] - s3r);
    f2[1] = mtvm__t16(f0[1] - s3i);
    f0[0] = mtvm__t16(f0[0] + s3r);
    f0[1] = mtvm__t16(f0[1] + s3i);
    if (inverse) {
      f1[0] = mtvm__t16(s5r - s4i);
      f1[1] = mtvm__t16(s5i + s4r);
      f3[0] = mtvm__t16(s5r + s4i);
      f3[1] = mtvm__t16(s5i - s4r);
    } else {
      f1[0] = mtvm__t16(s5r + s4i);
      f1[1] = mtvm__t16(s5i - s4r);
      f3[0] = mtvm__t16(s5r - s4i);
      f3[1] = mtvm__t16(s5i + s4r);
    }
  }
}

void mtvm_signal_fft_s16(const mtvm_fft_plan_t* plan, const int16_t* twiddles, const int16_t* input, int16_t* output) {
  const int32_t n = plan->nfft;
  /* kf_work's leaves: output k = sum q_s m_s takes input sum q_s (p_0 ... p_{s-1}). */
  for (int32_t k = 0; k < n; ++k) {
    int32_t rem = k, index = 0, stride = 1;
    for (int32_t s = 0; s < plan->num_stages; ++s) {
      index += (rem / plan->span[s]) * stride;
      rem %= plan->span[s];
      stride *= plan->radix[s];
    }
    output[2 * k] = input[2 * index];
    output[2 * k + 1] = input[2 * index + 1];
  }
  /* Butterflies, innermost stage first; stage s has p_0 ... p_{s-1} blocks (its twiddle stride). */
  for (int32_t s = plan->num_stages - 1; s >= 0; --s) {
    const int32_t p = plan->radix[s], m = plan->span[s];
    int32_t fstride = 1;
    for (int32_t t = 0; t < s; ++t) fstride *= plan->radix[t];
    for (int32_t b = 0; b < fstride; ++b) {
      int16_t* block = output + 2 * (size_t)b * (size_t)p * (size_t)m;
      if (p == 4) {
        mtvm__bfly4_s16(block, twiddles, fstride, m, plan->inverse);
      } else if (p == 2) {
        mtvm__bfly2_s16(block, twiddles, fstride, m);
      } else { /* p == 1 (a one-point transform): kissfft's generic butterfly divides by 1 */
        block[0] = mtvm__div16(block[0], 1);
        block[1] = mtvm__div16(block[1], 1);
      }
    }
  }
}
