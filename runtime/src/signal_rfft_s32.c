/*
 * SignalRfft, int32 (kissfft 1.3.0's kiss_fftr with FIXED_POINT 32): as signal_rfft_s16.c in
 * Q31, with kissfft's wrapping int32 sums computed in uint32 (no undefined behaviour).
 */
#include <stdint.h>
#include <string.h>

#include "mtvm/signal.h"

static inline int32_t mtvm__add32(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static inline int32_t mtvm__sub32(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }
static inline int32_t mtvm__w64(int64_t x) { return (int32_t)(uint32_t)(uint64_t)x; }
static inline int32_t mtvm__half32(int32_t x) { return mtvm__w64(((int64_t)x * (INT32_MAX / 2) + (1 << 30)) >> 31); }

void mtvm_signal_rfft_s32(const mtvm_signal_fft_params_t* p, const int32_t* twiddles, const int32_t* super_twiddles,
                          const int32_t* input, int32_t* output, void* scratch) {
  const int32_t ncfft = p->plan.nfft;
  int32_t* tmp = (int32_t*)scratch;
  int32_t* frame = tmp + 2 * (size_t)ncfft;
  for (int32_t f = 0; f < p->frames; ++f) {
    const int32_t* in = input + (size_t)f * (size_t)p->input_length;
    int32_t* out = output + 2 * (size_t)f * (size_t)p->output_length;
    int32_t dcr, dci;
    if (p->input_length < p->fft_length) {
      memcpy(frame, in, sizeof(int32_t) * (size_t)p->input_length);
      memset(frame + p->input_length, 0, sizeof(int32_t) * (size_t)(p->fft_length - p->input_length));
      in = frame;
    }
    mtvm_signal_fft_s32(&p->plan, twiddles, in, tmp);
    dcr = mtvm__half32(tmp[0]);
    dci = mtvm__half32(tmp[1]);
    out[0] = mtvm__add32(dcr, dci);
    out[2 * ncfft] = mtvm__sub32(dcr, dci);
    out[1] = 0;
    out[2 * ncfft + 1] = 0;
    for (int32_t k = 1; k <= ncfft / 2; ++k) {
      const int32_t pkr = mtvm__half32(tmp[2 * k]);
      const int32_t pki = mtvm__half32(tmp[2 * k + 1]);
      const int32_t nkr = mtvm__half32(tmp[2 * (ncfft - k)]);
      const int32_t nki = mtvm__half32(mtvm__sub32(0, tmp[2 * (ncfft - k) + 1]));
      const int32_t f1r = mtvm__add32(pkr, nkr), f1i = mtvm__add32(pki, nki);
      const int32_t f2r = mtvm__sub32(pkr, nkr), f2i = mtvm__sub32(pki, nki);
      const int32_t* st = super_twiddles + 2 * (k - 1);
      const int32_t twr = mtvm__w64(((int64_t)f2r * st[0] - (int64_t)f2i * st[1] + (1 << 30)) >> 31);
      const int32_t twi = mtvm__w64(((int64_t)f2r * st[1] + (int64_t)f2i * st[0] + (1 << 30)) >> 31);
      out[2 * k] = mtvm__add32(f1r, twr) >> 1;
      out[2 * k + 1] = mtvm__add32(f1i, twi) >> 1;
      out[2 * (ncfft - k)] = mtvm__sub32(f1r, twr) >> 1;
      out[2 * (ncfft - k) + 1] = mtvm__sub32(twi, f1i) >> 1;
    }
  }
}
