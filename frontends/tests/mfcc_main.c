/* Host driver for test_mfcc.py: reads raw int16 samples from stdin, writes the float32 MFCC and
 * then the int8 features (scale and zero point from argv) to stdout. */
#include <stdio.h>
#include <stdlib.h>

#include "mtvm/mfcc.h"

#define MAX_SAMPLES 32000

int main(int argc, char **argv) {
  static int16_t samples[MAX_SAMPLES];
  static float mfcc[MTVM_MFCC_NUM_FRAMES(MAX_SAMPLES) * MTVM_MFCC_NUM_COEFFS];
  static int8_t q[MTVM_MFCC_NUM_FRAMES(MAX_SAMPLES) * MTVM_MFCC_NUM_COEFFS];
  float scratch[MTVM_MFCC_SCRATCH_FLOATS];
  if (argc != 3) return 2;
  const float scale = strtof(argv[1], NULL);
  const int32_t zero_point = (int32_t)strtol(argv[2], NULL, 10);
  const size_t n = fread(samples, sizeof(samples[0]), MAX_SAMPLES, stdin);
  const size_t frames = mtvm_mfcc_f32(samples, n, scratch, mfcc);
  const size_t frames_s8 = mtvm_mfcc_s8(samples, n, scale, zero_point, scratch, q);
  if (frames != frames_s8) return 3;
  fwrite(mfcc, sizeof(float), frames * MTVM_MFCC_NUM_COEFFS, stdout);
  fwrite(q, 1, frames * MTVM_MFCC_NUM_COEFFS, stdout);
  return 0;
}
