/* L2_NORMALIZATION, float32 (LiteRT's reference L2Normalization, epsilon 1e-6f). */
#include <math.h>
#include <stdint.h>

#include "mtvm/normalize.h"

void mtvm_l2_norm_f32(const mtvm_l2_norm_params_t* p, const float* input, float* output) {
  for (int32_t i = 0; i < p->outer; ++i) {
    const float* x = input + (int64_t)i * p->depth;
    float* y = output + (int64_t)i * p->depth;
    float squared = 0.0f;
    for (int32_t c = 0; c < p->depth; ++c) squared += x[c] * x[c];
    float norm = sqrtf(squared);
    if (norm < 1e-6f) norm = 1e-6f; /* std::max(l2_norm, epsilon) */
    for (int32_t c = 0; c < p->depth; ++c) y[c] = x[c] / norm;
  }
}
