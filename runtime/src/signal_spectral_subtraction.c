/*
 * SignalFilterBankSpectralSubtraction (TFLM signal/src/filter_bank_spectral_subtraction.cc):
 * per channel a low-pass noise estimate (the state, zero after a reset) and the input less it.
 *   scaled   = input << smoothing_bits                              (uint32, wraps as TFLM's)
 *   estimate = (scaled * s + estimate * (1 - s)) >> spectral_subtraction_bits
 *              (two 64-bit products summed modulo 2^64, the result truncated to 32 bits;
 *               s, 1 - s are the smoothing pair of even channels, the alternate pair of odd ones)
 *   the estimate used is min(estimate, scaled); with clamping it is also stored
 *   floor    = (input * min_signal_remaining) >> spectral_subtraction_bits   (64-bit, truncated)
 *   output   = max((scaled - estimate used) >> smoothing_bits, floor)
 * noise_estimate (an output) receives the stored estimates.
 */
#include <stdint.h>
#include <string.h>

#include "mtvm/signal.h"

void mtvm_signal_spectral_subtraction(const mtvm_signal_spectral_subtraction_params_t* p, const uint32_t* input,
                                      uint32_t* output, uint32_t* noise_estimate, void* state) {
  uint32_t* estimates = (uint32_t*)state;
  for (int32_t i = 0; i < p->num_channels; ++i) {
    const uint32_t s = (i & 1) ? p->alternate_smoothing : p->smoothing;
    const uint32_t one_minus_s = (i & 1) ? p->alternate_one_minus_smoothing : p->one_minus_smoothing;
    const uint32_t scaled = input[i] << p->smoothing_bits;
    uint32_t estimate, floor_value, subtracted;
    estimates[i] = (uint32_t)(((uint64_t)scaled * s + (uint64_t)estimates[i] * one_minus_s) >>
                              p->spectral_subtraction_bits);
    estimate = estimates[i];
    if (estimate > scaled) {
      estimate = scaled;
      if (p->clamping) estimates[i] = estimate;
    }
    floor_value = (uint32_t)(((uint64_t)input[i] * p->min_signal_remaining) >> p->spectral_subtraction_bits);
    subtracted = (scaled - estimate) >> p->smoothing_bits;
    output[i] = subtracted > floor_value ? subtracted : floor_value;
  }
  memcpy(noise_estimate, estimates, (size_t)p->num_channels * sizeof(uint32_t));
}
