/*
 * Complex FFT in Q31 (int32 re/im pairs): kissfft 1.3.0's fixed-point algorithm with
 * FIXED_POINT 32, as TFLM's int32 SignalRfft/SignalIrfft run it (see signal_fft_s16.c for the
 * stage order): inputs divided by the radix as x * (INT32_MAX / p) rounded to Q31, twiddle
 * products as (a*b + 2^30) >> 31 on int64 sums of two products, results stored to int32.
 * kissfft's int32 sums wrap on overflow (undefined behaviour in C, two's complement wrap on
 * TFLM's targets); here they are computed in uint32 so the kernel has no undefined behaviour.
 */
#include <stdint.h>

#include "mtvm/signal.h"

static inline int32_t mtvm__add32(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static inline int32_t mtvm__sub32(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }
static inline int32_t mtvm__w64(int64_t x) { return (int32_t)(uint32_t)(uint64_t)x; }

/* C_FIXDIV: x * (INT32_MAX / k) in Q31, rounded. */
static inline int32_t mtvm__div32(int32_t x, int32_t k) {
  return mtvm__w64(((int64_t)x * (INT32_MAX / k) + (1 << 30)) >> 31);
}

/* C_MUL: each part rounded from Q62 to Q31. */
static inline void mtvm__mul32(int32_t ar, int32_t ai, const int32_t* b, int32_t* r, int32_t* i) {
  *r = mtvm__w64(((int64_t)ar * b[0] - (int64_t)ai * b[1] + (1 << 30)) >> 31);
  *i = mtvm__w64(((int64_t)ar * b[1] + (int64_t)ai * b[0] + (1 << 30)) >> 31);
}

static void mtvm__bfly2_s32(int32_t* f, const int32_t* tw, int32_t fstride, int32_t m) {
  for (int32_t j = 0; j < m; ++j) {
    int32_t* a = f + 2 * j;
    int32_t* b = f + 2 * (j + m);
    int32_t tr, ti;
    a[0] = mtvm__div32(a[0], 2);
    a[1] = mtvm__div32(a[1], 2);
    b[0] = mtvm__div32(b[0], 2);
    b[1] = mtvm__div32(b[1], 2);
    mtvm__mul32(b[0], b[1], tw + 2 * (size_t)j * (size_t)fstride, &tr, &ti);
    b[0] = mtvm__sub32(a[0], tr);
    b[1] = mtvm__sub32(a[1], ti);
    a[0] = mtvm__add32(a[0], tr);
    a[1] = mtvm__add32(a[1], ti);
  }
}

static void mtvm__bfly4_s32(int32_t* f, const int32_t* tw, int32_t fstride, int32_t m, int32_t inverse) {
  for (int32_t j = 0; j < m; ++j) {
    int32_t* f0 = f + 2 * j;
    int32_t* f1 = f + 2 * (j + m);
    int32_t* f2 = f + 2 * (j + 2 * m);
    int32_t* f3 = f + 2 * (j + 3 * m);
    int32_t s0r, s0i, s1r, s1i, s2r, s2i, s3r, s3i, s4r, s4i, s5r, s5i;
    const size_t t = (size_t)j * (size_t)fstride;
    for (int c = 0; c < 2; ++c) {
      f0[c] = mtvm__div32(f0[c], 4);
      f1[c] = mtvm__div32(f1[c], 4);
      f2[c] = mtvm__div32(f2[c], 4);
      f3[c] = mtvm__div32(f3[c], 4);
    }
    mtvm__mul32(f1[0], f1[1], tw + 2 * t, &s0r, &s0i);
    mtvm__mul32(f2[0], f2[1], tw + 4 * t, &s1r, &s1i);
    mtvm__mul32(f3[0], f3[1], tw + 6 * t, &s2r, &s2i);
    s5r = mtvm__sub32(f0[0], s1r);
    s5i = mtvm__sub32(f0[1], s1i);
    f0[0] = mtvm__add32(f0[0], s1r);
    f0[1] = mtvm__add32(f0[1], s1i);
    s3r = mtvm__add32(s0r, s2r);
    s3i = mtvm__add32(s0i, s2i);
    s4r = mtvm__sub32(s0r, s2r);
    s4i = mtvm__sub32(s0i, s2i);
    f2[0] = mtvm__sub32(f0[0], s3r);
    f2[1] = mtvm__sub32(f0[1], s3i);
    f0[0] = mtvm__add32(f0[0], s3r);
    f0[1] = mtvm__add32(f0[1], s3i);
    if (inverse) {
      f1[0] = mtvm__sub32(s5r, s4i);
      f1[1] = mtvm__add32(s5i, s4r);
      f3[0] = mtvm__add32(s5r, s4i);
      f3[1] = mtvm__sub32(s5i, s4r);
    } else {
      f1[0] = mtvm__add32(s5r, s4i);
      f1[1] = mtvm__sub32(s5i, s4r);
      f3[0] = mtvm__sub32(s5r, s4i);
      f3[1] = mtvm__add32(s5i, s4r);
    }
  }
}

void mtvm_signal_fft_s32(const mtvm_fft_plan_t* plan, const int32_t* twiddles, const int32_t* input, int32_t* output) {
  const int32_t n = plan->nfft;
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
  for (int32_t s = plan->num_stages - 1; s >= 0; --s) {
    const int32_t p = plan->radix[s], m = plan->span[s];
    int32_t fstride = 1;
    for (int32_t t = 0; t < s; ++t) fstride *= plan->radix[t];
    for (int32_t b = 0; b < fstride; ++b) {
      int32_t* block = output + 2 * (size_t)b * (size_t)p * (size_t)m;
      if (p == 4) {
        mtvm__bfly4_s32(block, twiddles, fstride, m, plan->inverse);
      } else if (p == 2) {
        mtvm__bfly2_s32(block, twiddles, fstride, m);
      } else {
        block[0] = mtvm__div32(block[0], 1);
        block[1] = mtvm__div32(block[1], 1);
      }
    }
  }
}
