/*
 * Complex FFT in float: kissfft 1.3.0's float algorithm as TFLM's float SignalRfft/SignalIrfft
 * run it (see signal_fft_s16.c for the stage order; no scaling between stages), with each
 * product and sum in the same order, in float.
 */
#include <stdint.h>

#include "mtvm/signal.h"

static void mtvm__bfly2_f32(float* f, const float* tw, int32_t fstride, int32_t m) {
  for (int32_t j = 0; j < m; ++j) {
    float* a = f + 2 * j;
    float* b = f + 2 * (j + m);
    const float* w = tw + 2 * (size_t)j * (size_t)fstride;
    const float tr = b[0] * w[0] - b[1] * w[1];
    const float ti = b[0] * w[1] + b[1] * w[0];
    b[0] = a[0] - tr;
    b[1] = a[1] - ti;
    a[0] += tr;
    a[1] += ti;
  }
}

static void mtvm__bfly4_f32(float* f, const float* tw, int32_t fstride, int32_t m, int32_t inverse) {
  for (int32_t j = 0; j < m; ++j) {
    float* f0 = f + 2 * j;
    float* f1 = f + 2 * (j + m);
    float* f2 = f + 2 * (j + 2 * m);
    float* f3 = f + 2 * (j + 3 * m);
    const size_t t = (size_t)j * (size_t)fstride;
    const float* w1 = tw + 2 * t;
    const float* w2 = tw + 4 * t;
    const float* w3 = tw + 6 * t;
    const float s0r = f1[0] * w1[0] - f1[1] * w1[1], s0i = f1[0] * w1[1] + f1[1] * w1[0];
    const float s1r = f2[0] * w2[0] - f2[1] * w2[1], s1i = f2[0] * w2[1] + f2[1] * w2[0];
    const float s2r = f3[0] * w3[0] - f3[1] * w3[1], s2i = f3[0] * w3[1] + f3[1] * w3[0];
    const float s5r = f0[0] - s1r, s5i = f0[1] - s1i;
    float s3r, s3i, s4r, s4i;
    f0[0] += s1r;
    f0[1] += s1i;
    s3r = s0r + s2r;
    s3i = s0i + s2i;
    s4r = s0r - s2r;
    s4i = s0i - s2i;
    f2[0] = f0[0] - s3r;
    f2[1] = f0[1] - s3i;
    f0[0] += s3r;
    f0[1] += s3i;
    if (inverse) {
      f1[0] = s5r - s4i;
      f1[1] = s5i + s4r;
      f3[0] = s5r + s4i;
      f3[1] = s5i - s4r;
    } else {
      f1[0] = s5r + s4i;
      f1[1] = s5i - s4r;
      f3[0] = s5r - s4i;
      f3[1] = s5i + s4r;
    }
  }
}

void mtvm_signal_fft_f32(const mtvm_fft_plan_t* plan, const float* twiddles, const float* input, float* output) {
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
      float* block = output + 2 * (size_t)b * (size_t)p * (size_t)m;
      if (p == 4) {
        mtvm__bfly4_f32(block, twiddles, fstride, m, plan->inverse);
      } else if (p == 2) {
        mtvm__bfly2_f32(block, twiddles, fstride, m);
      } /* p == 1: a one-point transform is the identity in float */
    }
  }
}
