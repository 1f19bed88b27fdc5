/*
 * SignalFftAutoScale (TFLM signal/src/fft_auto_scale.cc): shift the frame left so its largest
 * magnitude uses 15 bits. max |x| follows TFLM's MaxAbs16, whose int16 result wraps for -32768
 * (giving a negative "maximum", whose bit length as uint32 is 32, so no shift); the bit length of
 * 0 is 32 (TFLM's GCC/Clang MostSignificantBit32), so an all-zero frame is not shifted either.
 */
#include <stdint.h>

#include "mtvm/signal.h"

void mtvm_signal_fft_auto_scale(int32_t size, const int16_t* input, int16_t* output, int32_t* scale_bits) {
  int16_t max = 0;
  int32_t bits;
  for (int32_t i = 0; i < size; ++i) {
    const int32_t v = input[i];
    if (v > max) {
      max = (int16_t)v;
    } else if (-v > max) {
      max = (int16_t)(uint16_t)(uint32_t)(-v); /* 32768 wraps to -32768, as TFLM's int16 store */
    }
  }
  bits = 16 - mtvm_signal_msb32((uint32_t)(int32_t)max) - 1;
  if (bits < 0) bits = 0;
  for (int32_t i = 0; i < size; ++i) {
    output[i] = (int16_t)(input[i] * (1 << bits)); /* fits: |x| < 2^(15 - bits) */
  }
  *scale_bits = bits;
}
