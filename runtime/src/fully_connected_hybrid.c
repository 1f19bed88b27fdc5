/*
 * Hybrid FULLY_CONNECTED (float32 input and output, int8 weights), as LiteRT's EvalHybridDense:
 *   - an all-zero input skips the product: output = bias (or 0), then the activation;
 *   - each input row is quantized (symmetric, or asymmetric with asymmetric_quantize_inputs),
 *     giving q, a scaling factor s and a zero point zp (0 when symmetric);
 *   - per-tensor weights fold their scale into the row's factor once (s = s * weight_scale);
 *     per-channel weights multiply per unit (scale = channel_scale[u] * s);
 *   - output[u] = bias[u] + float(sum(w[u] * q) - zp * row_sum[u]) * scale, then the clamp.
 * Each float operation is one rounding in float32, in this order.
 */
#include "mtvm/hybrid.h"

#include <stddef.h>
#include <stdint.h>

#include "mtvm/quant.h"

void mtvm_fully_connected_hybrid(const mtvm_fully_connected_hybrid_params_t* p, const float* input,
                                 float* output, void* scratch) {
  int8_t* q = (int8_t*)scratch;
  const size_t total = (size_t)p->batches * (size_t)p->depth;
  int all_zero = 1;
  for (size_t i = 0; i < total; ++i) {
    if (input[i] != 0.0f) {
      all_zero = 0;
      break;
    }
  }
  for (int32_t b = 0; b < p->batches; ++b) {
    const float* x = input + (size_t)b * (size_t)p->depth;
    float* out = output + (size_t)b * (size_t)p->units;
    if (all_zero) {
      for (int32_t u = 0; u < p->units; ++u) {
        const float v = p->bias != NULL ? p->bias[u] : 0.0f;
        out[u] = mtvm_clamp_f32(v, p->act_min, p->act_max);
      }
      continue;
    }
    int32_t zp = 0;
    float s = p->asymmetric ? mtvm_hybrid_quantize_asymmetric(x, p->depth, q, &zp)
                            : mtvm_hybrid_quantize_symmetric(x, p->depth, q);
    if (p->channel_scales == NULL) {
      s = s * p->weight_scale;
    }
    const int8_t* w = p->weights;
    for (int32_t u = 0; u < p->units; ++u, w += p->depth) {
      int32_t dot = 0;
      for (int32_t i = 0; i < p->depth; ++i) {
        dot += (int32_t)w[i] * (int32_t)q[i];
      }
      if (zp != 0) {
        dot -= zp * p->row_sums[u];
      }
      const float scale = p->channel_scales != NULL ? p->channel_scales[u] * s : s;
      const float product = (float)dot * scale;
      const float v = p->bias != NULL ? p->bias[u] + product : 0.0f + product;
      out[u] = mtvm_clamp_f32(v, p->act_min, p->act_max);
    }
  }
}
