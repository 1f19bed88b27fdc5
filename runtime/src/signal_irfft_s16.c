/*
 * SignalIrfft, int16 (TFLM signal/src/irfft_int16.cc = kissfft 1.3.0's kiss_fftri in Q15): the
 * fft_length / 2 + 1 bins of each frame are recombined into fft_length / 2 complex points with
 * the inverse super twiddles (halving each bin first, C_FIXDIV by 2), and the inverse complex FFT
 * (signal_fft_s16.c) writes the fft_length real samples.
 */
#include <stdint.h>

#include "mtvm/signal.h"

static inline int16_t mtvm__t16(int32_t x) { return (int16_t)(uint16_t)(uint32_t)x; }

static inline int16_t mtvm__half16(int16_t x) { return mtvm__t16(((int32_t)x * 16383 + (1 << 14)) >> 15); }

void mtvm_signal_irfft_s16(const mtvm_signal_fft_params_t* p, const int16_t* twiddles, const int16_t* super_twiddles,
                           const int16_t* input, int16_t* output, void* scratch) {
  const int32_t ncfft = p->plan.nfft;
  int16_t* tmp = (int16_t*)scratch; /* ncfft complex values */
  for (int32_t f = 0; f < p->frames; ++f) {
    const int16_t* in = input + 2 * (size_t)f * (size_t)p->input_length;
    int16_t* out = output + (size_t)f * (size_t)p->output_length;
    tmp[0] = mtvm__half16(mtvm__t16(in[0] + in[2 * ncfft]));
    tmp[1] = mtvm__half16(mtvm__t16(in[0] - in[2 * ncfft]));
    for (int32_t k = 1; k <= ncfft / 2; ++k) {
      const int16_t kr = mtvm__half16(in[2 * k]);
      const int16_t ki = mtvm__half16(in[2 * k + 1]);
      const int16_t nr = mtvm__half16(in[2 * (ncfft - k)]);
      const int16_t ni = mtvm__half16(mtvm__t16(-in[2 * (ncfft - k) + 1]));
      const int16_t er = mtvm__t16(kr + nr), ei = mtvm__t16(ki + ni);
      const int16_t dr = mtvm__t16(kr - nr), di = mtvm__t16(ki - ni);
      const int16_t* st = super_twiddles + 2 * (k - 1);
      const int16_t or_ = mtvm__t16(((int32_t)dr * st[0] - (int32_t)di * st[1] + (1 << 14)) >> 15);
      const int16_t oi = mtvm__t16(((int32_t)dr * st[1] + (int32_t)di * st[0] + (1 << 14)) >> 15);
      tmp[2 * k] = mtvm__t16(er + or_);
      tmp[2 * k + 1] = mtvm__t16(ei + oi);
      tmp[2 * (ncfft - k)] = mtvm__t16(er - or_);
      tmp[2 * (ncfft - k) + 1] = mtvm__t16(-mtvm__t16(ei - oi));
    }
    mtvm_signal_fft_s16(&p->plan, twiddles, tmp, out);
  }
}
