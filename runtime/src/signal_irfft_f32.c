/*
 * SignalIrfft, float (kissfft 1.3.0's kiss_fftri, then TFLM's division of every sample by
 * fft_length, since kissfft's inverse is unscaled).
 */
#include <stdint.h>

#include "mtvm/signal.h"

void mtvm_signal_irfft_f32(const mtvm_signal_fft_params_t* p, const float* twiddles, const float* super_twiddles,
                           const float* input, float* output, void* scratch) {
  const int32_t ncfft = p->plan.nfft;
  float* tmp = (float*)scratch;
  for (int32_t f = 0; f < p->frames; ++f) {
    const float* in = input + 2 * (size_t)f * (size_t)p->input_length;
    float* out = output + (size_t)f * (size_t)p->output_length;
    tmp[0] = in[0] + in[2 * ncfft];
    tmp[1] = in[0] - in[2 * ncfft];
    for (int32_t k = 1; k <= ncfft / 2; ++k) {
      const float kr = in[2 * k], ki = in[2 * k + 1];
      const float nr = in[2 * (ncfft - k)], ni = -in[2 * (ncfft - k) + 1];
      const float er = kr + nr, ei = ki + ni;
      const float dr = kr - nr, di = ki - ni;
      const float* st = super_twiddles + 2 * (k - 1);
      const float or_ = dr * st[0] - di * st[1];
      const float oi = dr * st[1] + di * st[0];
      tmp[2 * k] = er + or_;
      tmp[2 * k + 1] = ei + oi;
      tmp[2 * (ncfft - k)] = er - or_;
      tmp[2 * (ncfft - k) + 1] = -(ei - oi);
    }
    mtvm_signal_fft_f32(&p->plan, twiddles, tmp, out);
    for (int32_t i = 0; i < p->fft_length; ++i) out[i] /= (float)p->fft_length;
  }
}
