/* Host driver for the tests: reads raw int16 samples from stdin, writes the MFCC (float32) and then
 * the int8 features to stdout.   mfcc_main SCALE ZERO_POINT [f32|fixed] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtvm/mfcc.h"

#define MAX_SAMPLES 32000
#define MAX_FEATURES (MTVM_MFCC_NUM_FRAMES(MAX_SAMPLES) * MTVM_MFCC_NUM_COEFFS)

int main(int argc, char **argv) {
  static int16_t samples[MAX_SAMPLES];
  static float mfcc[MAX_FEATURES];
  static int32_t mfcc_q24[MAX_FEATURES];
  static int8_t q[MAX_FEATURES];
  float scratch[MTVM_MFCC_SCRATCH_FLOATS];
  int32_t scratch_fixed[MTVM_MFCC_FIXED_SCRATCH_WORDS];
  if (argc != 3 && argc != 4) return 2;
  const float scale = strtof(argv[1], NULL);
  const int32_t zero_point = (int32_t)strtol(argv[2], NULL, 10);
  const int fixed = argc == 4 && strcmp(argv[3], "fixed") == 0;
  const size_t n = fread(samples, sizeof(samples[0]), MAX_SAMPLES, stdin);
  size_t frames, frames_s8;
  if (fixed) {
    frames = mtvm_mfcc_fixed(samples, n, scratch_fixed, mfcc_q24);
    for (size_t i = 0; i < frames * MTVM_MFCC_NUM_COEFFS; ++i) mfcc[i] = (float)mfcc_q24[i] / 16777216.0f;
    frames_s8 = mtvm_mfcc_s8_fixed(samples, n, scale, zero_point, scratch_fixed, q);
  } else {
    frames = mtvm_mfcc_f32(samples, n, scratch, mfcc);
    frames_s8 = mtvm_mfcc_s8(samples, n, scale, zero_point, scratch, q);
  }
  if (frames != frames_s8) return 3;
  fwrite(mfcc, sizeof(float), frames * MTVM_MFCC_NUM_COEFFS, stdout);
  fwrite(q, 1, frames * MTVM_MFCC_NUM_COEFFS, stdout);
  return 0;
}
