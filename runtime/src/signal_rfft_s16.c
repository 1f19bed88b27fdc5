/*
 * SignalRfft, int16 (TFLM signal/src/rfft_int16.cc = kissfft 1.3.0's kiss_fftr in Q15): each
 * frame, zero padded to fft_length, is read as fft_length / 2 complex points, transformed by the
 * complex FFT (signal_fft_s16.c), and the two interleaved real spectra are separated with the
 * "super twiddles" exp(-i pi (k / nfft + 1/2)): halves (C_FIXDIV by 2) before the sums, the
 * final halving an arithmetic shift of the int sum (HALF_OF), each result stored to int16.
 */
#include <stdint.h>
#include <string.h>

#include "mtvm/signal.h"

static inline int16_t mtvm__t16(int32_t x) { return (int16_t)(uint16_t)(uint32_t)x; }

static inline int16_t mtvm__half16(int16_t x) { return mtvm__t16(((int32_t)x * 16383 + (1 << 14)) >> 15); }

void mtvm_signal_rfft_s16(const mtvm_signal_fft_params_t* p, const int16_t* twiddles, const int16_t* super_twiddles,
                          const int16_t* input, int16_t* output, void* scratch) {
  const int32_t ncfft = p->plan.nfft;
  int16_t* tmp = (int16_t*)scratch;          /* ncfft complex values */
  int16_t* frame = tmp + 2 * (size_t)ncfft; /* fft_length reals, when padding */
  for (int32_t f = 0; f < p->frames; ++f) {
    const int16_t* in = input + (size_t)f * (size_t)p->input_length;
    int16_t* out = output + 2 * (size_t)f * (size_t)p->output_length;
    int16_t dcr, dci;
    if (p->input_length < p->fft_length) {
      memcpy(frame, in, sizeof(int16_t) * (size_t)p->input_length);
      memset(frame + p->input_length, 0, sizeof(int16_t) * (size_t)(p->fft_length - p->input_length));
      in = frame;
    }
    mtvm_signal_fft_s16(&p->plan, twiddles, in, tmp);
    dcr = mtvm__half16(tmp[0]);
    dci = mtvm__half16(tmp[1]);
    out[0] = mtvm__t16(dcr + dci);
    out[2 * ncfft] = mtvm__t16(dcr - dci);
    out[1] = 0;
    out[2 * ncfft + 1] = 0;
    for (int32_t k = 1; k <= ncfft / 2; ++k) {
      const int16_t pkr = mtvm__half16(tmp[2 * k]);
      const int16_t pki = mtvm__half16(tmp[2 * k + 1]);
      const int16_t nkr = mtvm__half16(tmp[2 * (ncfft - k)]);
      const int16_t nki = mtvm__half16(mtvm__t16(-tmp[2 * (ncfft - k) + 1]));
      const int16_t f1r = mtvm__t16(pkr + nkr), f1i = mtvm__t16(pki + nki);
      const int16_t f2r = mtvm__t16(pkr - nkr), f2i = mtvm__t16(pki - nki);
      const int16_t* st = super_twiddles + 2 * (k - 1);
      const int16_t twr = mtvm__t16(((int32_t)f2r * st[0] - (int32_t)f2i * st[1] + (1 << 14)) >> 15);
      const int16_t twi = mtvm__t16(((int32_t)f2r * st[1] + (int32_t)f2i * st[0] + (1 << 14)) >> 15);
      out[2 * k] = mtvm__t16((f1r + twr) >> 1);
      out[2 * k + 1] = mtvm__t16((f1i + twi) >> 1);
      out[2 * (ncfft - k)] = mtvm__t16((f1r - twr) >> 1);
      out[2 * (ncfft - k) + 1] = mtvm__t16((twi - f1i) >> 1);
    }
  }
}
