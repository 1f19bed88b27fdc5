/*
 * FULLY_CONNECTED float32 (see mtvm/conv.h), weights [out_c][accum_depth] as in the model: each
 * output sums its products in input order and adds the bias last, as LiteRT's reference does.
 */
#include <stddef.h>
#include <stdint.h>

#include "mtvm/conv.h"
#include "mtvm/quant.h"

void mtvm_fully_connected_f32(const mtvm_fully_connected_f32_params_t* p, const float* input, float* output) {
  for (int32_t b = 0; b < p->batches; ++b) {
    const float* x = input + (size_t)b * (size_t)p->accum_depth;
    float* out = output + (size_t)b * (size_t)p->out_c;
    const float* w = p->weights;
    for (int32_t oc = 0; oc < p->out_c; ++oc, w += p->accum_depth) {
      float total = 0.0f;
      for (int32_t i = 0; i < p->accum_depth; ++i) {
        total += x[i] * w[i];
      }
      if (p->bias != NULL) {
        total += p->bias[oc];
      }
      out[oc] = mtvm_clamp_f32(total, p->act_min, p->act_max);
    }
  }
}
