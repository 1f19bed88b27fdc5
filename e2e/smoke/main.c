/* The consumer's firmware: runs its anomaly model on one input and prints a reconstruction score
 * (sum of squared errors, in int8 units). */
#include <stdint.h>
#include <stdio.h>

#include "tvmgen_anomaly.h"

static int8_t features[TVMGEN_ANOMALY_FEATURES_SIZE] __attribute__((aligned(16)));
static int8_t reconstruction[TVMGEN_ANOMALY_DENSE_3_SIZE] __attribute__((aligned(16)));

int main(void) {
  for (int i = 0; i < (int)sizeof(features); ++i) features[i] = (int8_t)((i * 37) % 64 - 32);
  struct tvmgen_anomaly_inputs inputs = {.features = features};
  struct tvmgen_anomaly_outputs outputs = {.dense_3 = reconstruction};
  if (tvmgen_anomaly_run(&inputs, &outputs) != 0) return 1;
  long score = 0;
  for (int i = 0; i < (int)sizeof(features); ++i) {
    long d = (long)features[i] - reconstruction[i];
    score += d * d;
  }
  printf("anomaly score: %ld\n", score);
  return 0;
}
