/*
 * SignalFilterBankSquareRoot (TFLM signal/src/filter_bank_square_root.cc): the rounded integer
 * square root of each channel (TFLM's Sqrt64, which uses the 32-bit routine when the upper word
 * is clear), shifted right by the scale bits input.
 */
#include <stdint.h>

#include "mtvm/signal.h"

/* Digit-by-digit square root (two bits per step), rounded up when the remainder exceeds the root
   and the root is below 0xFFFF: TFLM's Sqrt32. */
static uint16_t mtvm__sqrt32(uint32_t num) {
  uint32_t res = 0;
  uint32_t bit;
  int top, steps;
  if (num == 0) return 0;
  top = (32 - mtvm_signal_msb32(num)) | 1; /* leading zeros, made odd */
  bit = (uint32_t)1 << (31 - top);
  steps = (31 - top) / 2 + 1;
  while (steps--) {
    if (num >= res + bit) {
      num -= res + bit;
      res = (res >> 1) + bit;
    } else {
      res >>= 1;
    }
    bit >>= 2;
  }
  if (num > res && res != 0xFFFF) ++res;
  return (uint16_t)res;
}

/* TFLM's Sqrt64: the same on 64 bits, the result truncated to 32 bits. */
static uint32_t mtvm__sqrt64(uint64_t num) {
  uint64_t res = 0;
  uint64_t bit;
  int top, steps;
  if ((num >> 32) == 0) return mtvm__sqrt32((uint32_t)num);
  top = (64 - mtvm_signal_msb64(num)) | 1;
  bit = (uint64_t)1 << (63 - top);
  steps = (63 - top) / 2 + 1;
  while (steps--) {
    if (num >= res + bit) {
      num -= res + bit;
      res = (res >> 1) + bit;
    } else {
      res >>= 1;
    }
    bit >>= 2;
  }
  if (num > res && res != 0xFFFFFFFFu) ++res;
  return (uint32_t)res;
}

void mtvm_signal_filter_bank_sqrt(int32_t num_channels, const uint64_t* input, const int32_t* scale_bits,
                                  uint32_t* output) {
  /* TFLM shifts by the raw int32; on the machines it is built for (x86, Arm) only the low five
     bits of a 32-bit shift count matter, so the count is taken modulo 32 here (no UB for any
     value; FftAutoScale produces 0..15). */
  const unsigned shift = (unsigned)*scale_bits & 31u;
  for (int32_t i = 0; i < num_channels; ++i) {
    output[i] = mtvm__sqrt64(input[i]) >> shift;
  }
}
