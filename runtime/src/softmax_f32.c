/* float32 SOFTMAX (see mtvm/reduce.h): TFLite's reference, exp((x - max) * beta) / sum. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "mtvm/reduce.h"
#include "reduce_internal.h"

void mtvm_softmax_f32(const mtvm_softmax_params_t* p, const float* input, float* output) {
  for (int32_t i = 0; i < p->outer; ++i) {
    const float* x = input + (size_t)i * (size_t)p->depth;
    float* y = output + (size_t)i * (size_t)p->depth;
    float max = MTVM_FLOAT_LOWEST;
    for (int32_t c = 0; c < p->depth; ++c) {
      max = max < x[c] ? x[c] : max;
    }
    float sum = 0.0f;
    for (int32_t c = 0; c < p->depth; ++c) {
      const float e = expf((x[c] - max) * p->beta);
      y[c] = e;
      sum += e;
    }
    for (int32_t c = 0; c < p->depth; ++c) {
      y[c] = y[c] / sum;
    }
  }
}
