/* LOG_SOFTMAX, float32 (LiteRT's reference LogSoftmax). */
#include <float.h>
#include <math.h>
#include <stdint.h>

#include "mtvm/normalize.h"

void mtvm_log_softmax_f32(const mtvm_log_softmax_params_t* p, const float* input, float* output) {
  for (int32_t i = 0; i < p->outer; ++i) {
    const float* x = input + (int64_t)i * p->depth;
    float* y = output + (int64_t)i * p->depth;
    float max = -FLT_MAX;
    float sum = 0.0f;
    for (int32_t c = 0; c < p->depth; ++c) max = max < x[c] ? x[c] : max; /* std::max(max, x) */
    for (int32_t c = 0; c < p->depth; ++c) sum += expf(x[c] - max);
    {
      const float log_sum = logf(sum);
      for (int32_t c = 0; c < p->depth; ++c) y[c] = x[c] - max - log_sum;
    }
  }
}
