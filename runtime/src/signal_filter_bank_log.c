/*
 * SignalFilterBankLog (TFLM signal/src/filter_bank_log.cc and log.cc): out = min(Log32(x <<
 * correction_bits, output_scale), INT16_MAX) for x << bits > 1, else 0.
 *
 * Log32: log2 x = integer part (bit length - 1) + fraction, where the fraction in Q16 is the
 * mantissa bits plus a correction interpolated linearly between two entries of a 128-segment
 * table of log2(1 + f) - f; then ln x = log2 x * 45426 / 2^16 (45426 = round(2^16 ln 2)) and the
 * output scale, each product rounded by adding 2^15 before the shift. Unsigned 32-bit wrap-around
 * where TFLM's uint32 arithmetic wraps; the table correction's right shift is arithmetic on a
 * negative product, as on TFLM's compilers.
 */
#include <stdint.h>

#include "mtvm/signal.h"

static uint32_t mtvm__log2_fraction(uint32_t x, uint32_t log2x, const uint16_t* lut) {
  int32_t frac = (int32_t)(x - ((uint32_t)1 << log2x)); /* the bits below the leading one */
  uint32_t base_seg;
  int32_t c0, c1, rel_pos;
  if (log2x < 16) {
    frac = (int32_t)((uint32_t)frac << (16 - log2x));
  } else {
    frac >>= log2x - 16;
  }
  base_seg = (uint32_t)frac >> 9; /* 128 segments of 512 */
  c0 = lut[base_seg];
  c1 = lut[base_seg + 1];
  rel_pos = ((c1 - c0) * (frac - (int32_t)(512u * base_seg))) >> 16;
  return (uint32_t)(frac + c0 + rel_pos);
}

static uint32_t mtvm__log32(uint32_t x, uint32_t out_scale, const uint16_t* lut) {
  const uint32_t integer = (uint32_t)mtvm_signal_msb32(x) - 1u;
  const uint32_t fraction = mtvm__log2_fraction(x, integer, lut);
  const uint32_t log2 = (integer << 16) + fraction;
  const uint32_t loge = (uint32_t)(((uint64_t)45426u * log2 + 32768u) >> 16);
  return (out_scale * loge + 32768u) >> 16;
}

void mtvm_signal_filter_bank_log(const mtvm_signal_filter_bank_log_params_t* p, const uint16_t* log_lut,
                                 const uint32_t* input, int16_t* output) {
  for (int32_t i = 0; i < p->num_channels; ++i) {
    const uint32_t scaled = input[i] << p->input_correction_bits;
    if (scaled > 1) {
      const uint32_t v = mtvm__log32(scaled, p->output_scale, log_lut);
      output[i] = (int16_t)(v < (uint32_t)INT16_MAX ? v : (uint32_t)INT16_MAX);
    } else {
      output[i] = 0;
    }
  }
}
