/* float32 LOGISTIC (see mtvm/reduce.h): TFLite's reference, with its cut-offs. */
#include <math.h>
#include <stdint.h>

#include "mtvm/reduce.h"

void mtvm_logistic_f32(const mtvm_unary_params_t* p, const float* input, float* output) {
  /* TFLite's reference cut-offs: above the upper one the result rounds to 1 anyway; below the
     lower one exp(x) is used, which is what 1 / (1 + exp(-x)) tends to. */
  const float cutoff_upper = 16.619047164916992188f;
  const float cutoff_lower = -9.0f;
  for (int32_t i = 0; i < p->size; ++i) {
    const float v = input[i];
    float r;
    if (v > cutoff_upper) {
      r = 1.0f;
    } else if (v < cutoff_lower) {
      r = expf(v);
    } else {
      r = 1.0f / (1.0f + expf(-v));
    }
    output[i] = r;
  }
}
