/* float32 LEAKY_RELU (see mtvm/elementwise.h): x > 0 ? x : x * alpha, as LiteRT's reference. */
#include <stdint.h>

#include "mtvm/elementwise.h"

void mtvm_leaky_relu_f32(const mtvm_leaky_relu_f32_params_t* p, const float* in, float* out) {
  for (int32_t i = 0; i < p->size; ++i) {
    const float x = in[i];
    out[i] = x > 0.0f ? x : x * p->alpha;
  }
}
