/*
 * SignalIrfft, int32 (kissfft 1.3.0's kiss_fftri with FIXED_POINT 32): as signal_irfft_s16.c in
 * Q31, with kissfft's wrapping int32 sums computed in uint32 (no undefined behaviour).
 */
#include <stdint.h>

#include "mtvm/signal.h"

static inline int32_t mtvm__add32(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static inline int32_t mtvm__sub32(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }
static inline int32_t mtvm__w64(int64_t x) { return (int32_t)(uint32_t)(uint64_t)x; }
static inline int32_t mtvm__half32(int32_t x) { return mtvm__w64(((int64_t)x * (INT32_MAX / 2) + (1 << 30)) >> 31); }

void mtvm_signal_irfft_s32(const mtvm_signal_fft_params_t* p, const int32_t* twiddles, const int32_t* super_twiddles,
                           const int32_t* input, int32_t* output, void* scratch) {
  const int32_t ncfft = p->plan.nfft;
  int32_t* tmp = (int32_t*)scratch;
  for (int32_t f = 0; f < p->frames; ++f) {
    const int32_t* in = input + 2 * (size_t)f * (size_t)p->input_length;
    int32_t* out = output + (size_t)f * (size_t)p->output_length;
    tmp[0] = mtvm__half32(mtvm__add32(in[0], in[2 * ncfft]));
    tmp[1] = mtvm__half32(mtvm__sub32(in[0], in[2 * ncfft]));
    for (int32_t k = 1; k <= ncfft / 2; ++k) {
      const int32_t kr = mtvm__half32(in[2 * k]);
      const int32_t ki = mtvm__half32(in[2 * k + 1]);
      const int32_t nr = mtvm__half32(in[2 * (ncfft - k)]);
      const int32_t ni = mtvm__half32(mtvm__sub32(0, in[2 * (ncfft - k) + 1]));
      const int32_t er = mtvm__add32(kr, nr), ei = mtvm__add32(ki, ni);
      const int32_t dr = mtvm__sub32(kr, nr), di = mtvm__sub32(ki, ni);
      const int32_t* st = super_twiddles + 2 * (k - 1);
      const int32_t or_ = mtvm__w64(((int64_t)dr * st[0] - (int64_t)di * st[1] + (1 << 30)) >> 31);
      const int32_t oi = mtvm__w64(((int64_t)dr * st[1] + (int64_t)di * st[0] + (1 << 30)) >> 31);
      tmp[2 * k] = mtvm__add32(er, or_);
      tmp[2 * k + 1] = mtvm__add32(ei, oi);
      tmp[2 * (ncfft - k)] = mtvm__sub32(er, or_);
      tmp[2 * (ncfft - k) + 1] = mtvm__sub32(0, mtvm__sub32(ei, oi));
    }
    mtvm_signal_fft_s32(&p->plan, twiddles, tmp, out);
  }
}
