/*
 * SignalRfft, float (kissfft 1.3.0's kiss_fftr): as signal_rfft_s16.c without the fixed-point
 * scaling; HALF_OF is a multiplication by 0.5.
 */
#include <stdint.h>
#include <string.h>

#include "mtvm/signal.h"

void mtvm_signal_rfft_f32(const mtvm_signal_fft_params_t* p, const float* twiddles, const float* super_twiddles,
                          const float* input, float* output, void* scratch) {
  const int32_t ncfft = p->plan.nfft;
  float* tmp = (float*)scratch;
  float* frame = tmp + 2 * (size_t)ncfft;
  for (int32_t f = 0; f < p->frames; ++f) {
    const float* in = input + (size_t)f * (size_t)p->input_length;
    float* out = output + 2 * (size_t)f * (size_t)p->output_length;
    if (p->input_length < p->fft_length) {
      memcpy(frame, in, sizeof(float) * (size_t)p->input_length);
      memset(frame + p->input_length, 0, sizeof(float) * (size_t)(p->fft_length - p->input_length));
      in = frame;
    }
    mtvm_signal_fft_f32(&p->plan, twiddles, in, tmp);
    out[0] = tmp[0] + tmp[1];
    out[2 * ncfft] = tmp[0] - tmp[1];
    out[1] = 0.0f;
    out[2 * ncfft + 1] = 0.0f;
    for (int32_t k = 1; k <= ncfft / 2; ++k) {
      const float pkr = tmp[2 * k], pki = tmp[2 * k + 1];
      const float nkr = tmp[2 * (ncfft - k)], nki = -tmp[2 * (ncfft - k) + 1];
      const float f1r = pkr + nkr, f1i = pki + nki;
      const float f2r = pkr - nkr, f2i = pki - nki;
      const float* st = super_twiddles + 2 * (k - 1);
      const float twr = f2r * st[0] - f2i * st[1];
      const float twi = f2r * st[1] + f2i * st[0];
      out[2 * k] = (f1r + twr) * 0.5f;
      out[2 * k + 1] = (f1i + twi) * 0.5f;
      out[2 * (ncfft - k)] = (f1r - twr) * 0.5f;
      out[2 * (ncfft - k) + 1] = (twi - f1i) * 0.5f;
    }
  }
}
