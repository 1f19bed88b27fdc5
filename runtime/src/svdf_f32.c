/*
 * SVDF, float32: TFLite's EvalFloatSVDF (reference_ops, lite/kernels/internal/reference/svdf.h)
 * in the same order of float operations, so the results agree to rounding:
 *   feature activation = sum over the input of weights_feature * input, from 0, in input order;
 *   per filter, dot(weights_time[f], state[f]) in memory order;
 *   per unit, the rank filter dots summed from 0 in filter order, then + bias, then activation.
 * No scratch: TFLite's scratch holds the per-filter dots, here each unit sums them as it goes.
 */
#include <string.h>

#include "mtvm/recurrent.h"

void mtvm_svdf_f32(const mtvm_svdf_f32_params_t* p, const float* input, const float* weights_feature,
                   const float* weights_time, const float* bias, float* state, float* output) {
  const int32_t memory = p->memory_size;
  const int32_t filters = p->num_filters;
  const int32_t total = p->batch * filters * memory;
  /* Shift the whole state left by one element (TFLite's std::copy(state + 1, end, state)). */
  if (total > 1) memmove(state, state + 1, (size_t)(total - 1) * sizeof(float));
  for (int32_t b = 0; b < p->batch; ++b) {
    const float* x = input + (size_t)b * (size_t)p->input_size;
    float* state_b = state + (size_t)b * (size_t)filters * (size_t)memory;
    /* The newest activation goes into each filter's last column. */
    for (int32_t f = 0; f < filters; ++f) {
      const float* w = weights_feature + (size_t)f * (size_t)p->input_size;
      float dot = 0.0f;
      for (int32_t i = 0; i < p->input_size; ++i) dot += w[i] * x[i];
      state_b[(size_t)f * (size_t)memory + (size_t)(memory - 1)] = dot;
    }
    for (int32_t u = 0; u < p->num_units; ++u) {
      float sum = 0.0f;
      for (int32_t r = 0; r < p->rank; ++r) {
        const int32_t f = u * p->rank + r;
        const float* wt = weights_time + (size_t)f * (size_t)memory;
        const float* s = state_b + (size_t)f * (size_t)memory;
        float dot = 0.0f;
        for (int32_t m = 0; m < memory; ++m) dot += wt[m] * s[m];
        sum += dot;
      }
      if (bias != NULL) sum += bias[u];
      output[(size_t)b * (size_t)p->num_units + (size_t)u] = mtvm_activation_f32(sum, p->activation);
    }
  }
}
