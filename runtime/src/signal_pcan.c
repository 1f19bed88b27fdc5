/*
 * SignalPCAN (TFLM signal/src/pcan_argc_fixed.cc): per-channel energy normalization.
 * gain = WideDynamicFunction(noise estimate): a piecewise quadratic in Q10 steps from the gain
 * table (entries 4 * bit_length - 6 .. + 2 for x > 2, entry x for x <= 2), truncated to int16
 * and then read as uint32 as TFLM does; snr = (x * gain) >> snr_shift (64-bit product, truncated
 * to 32 bits); out = shrink(snr): snr^2 / 4 below 2.0 and snr - 1 above, from 12 to 6
 * fractional bits (kPcanSnrBits, kPcanOutputBits). Products wrap modulo 2^32 like TFLM's uint32.
 */
#include <stdint.h>

#include "mtvm/signal.h"

static int16_t mtvm__wide_dynamic(uint32_t x, const int16_t* lut) {
  int32_t interval, frac, result;
  if (x <= 2) return lut[x];
  interval = mtvm_signal_msb32(x);
  lut += 4 * interval - 6;
  frac = (int16_t)((interval < 11 ? (x << (11 - interval)) : (x >> (interval - 11))) & 0x3FF);
  result = ((int32_t)lut[2] * frac) >> 5;
  result = (int32_t)((uint32_t)result + ((uint32_t)(int32_t)lut[1] << 5));
  result = (int32_t)((uint32_t)result * (uint32_t)frac);
  result = (int32_t)((uint32_t)result + (1u << 14)) >> 15;
  result += lut[0];
  return (int16_t)result;
}

static uint32_t mtvm__shrink(uint32_t x) {
  if (x < (2u << 12)) return (x * x) >> (2 + 2 * 12 - 6);
  return (x >> (12 - 6)) - (1u << 6);
}

void mtvm_signal_pcan(const mtvm_signal_pcan_params_t* p, const uint32_t* input, const uint32_t* noise_estimate,
                      const int16_t* gain_lut, uint32_t* output) {
  for (int32_t i = 0; i < p->num_channels; ++i) {
    const uint32_t gain = (uint32_t)(int32_t)mtvm__wide_dynamic(noise_estimate[i], gain_lut);
    const uint32_t snr = (uint32_t)(((uint64_t)input[i] * gain) >> p->snr_shift);
    output[i] = mtvm__shrink(snr);
  }
}
