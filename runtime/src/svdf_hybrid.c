/*
 * Hybrid SVDF (float32 input, state and output; int8 weights_feature and weights_time), as
 * LiteRT's EvalHybridSVDF (reference svdf.h, with the tensor_utils functions of its x86 build):
 *   1. shift the whole state left by one element;
 *   2. unless the whole input is zero: quantize each batch row (symmetric, or asymmetric with
 *      asymmetric_quantize_inputs), factor = row factor * weights_feature_scale, and
 *      feature[b][f] = 0 + float(dot(wf[f], q[b]) - zp[b] * row_sum[f]) * factor; else 0;
 *      the feature goes into each filter's newest state element;
 *   3. per filter, dot(weights_time[f], state[b][f]) with four partial sums (TFLite's NEON
 *      VectorVectorDotProduct through its SSE translation): lane j sums the products at
 *      j, j + 4, ... over the whole groups of 4, the lanes are added in order (0 + 1 + 2 + 3),
 *      then the remaining products one by one;
 *   4. per unit, the sum of its `rank` filter dots the same way (NEON ReductionSumVector), then
 *      + bias, then the activation.
 * weights_time arrives dequantized: LiteRT multiplies each int8 value by the scale in float once,
 * which the generator does at generation time.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mtvm/hybrid.h"
#include "mtvm/hybrid_recurrent.h"

/* sum over i of a[i] * b[i] (b NULL: of a[i]) in the lane order described above. */
static float lane_sum(const float* a, const float* b, int32_t n) {
  float lane[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  const int32_t whole = n / 4 * 4;
  for (int32_t i = 0; i < whole; i += 4) {
    for (int32_t j = 0; j < 4; ++j) {
      lane[j] += b != NULL ? a[i + j] * b[i + j] : a[i + j];
    }
  }
  float sum = ((lane[0] + lane[1]) + lane[2]) + lane[3];
  for (int32_t i = whole; i < n; ++i) {
    sum += b != NULL ? a[i] * b[i] : a[i];
  }
  return sum;
}

void mtvm_svdf_hybrid(const mtvm_svdf_hybrid_params_t* p, const float* input, const int8_t* weights_feature,
                      const int32_t* row_sums, const float* weights_time, const float* bias, float* state,
                      float* output, void* scratch) {
  const int32_t memory = p->memory_size;
  const int32_t filters = p->num_filters;
  const int32_t batch = p->batch;
  const int32_t n_in = p->input_size;
  float* feature = (float*)scratch;                      /* [batch][filters], then the filter dots */
  float* factors = feature + (size_t)batch * (size_t)filters; /* [batch] */
  int32_t* zero_points = (int32_t*)(factors + batch);  /* [batch] */
  int8_t* q = (int8_t*)(zero_points + batch);          /* [batch][input_size] */

  const size_t total = (size_t)batch * (size_t)filters * (size_t)memory;
  if (total > 1) {
    memmove(state, state + 1, (total - 1) * sizeof(float));
  }
  for (size_t i = 0; i < (size_t)batch * (size_t)filters; ++i) {
    feature[i] = 0.0f;
  }
  int all_zero = 1;
  for (size_t i = 0; i < (size_t)batch * (size_t)n_in; ++i) {
    if (input[i] != 0.0f) {
      all_zero = 0;
      break;
    }
  }
  if (!all_zero) {
    for (int32_t b = 0; b < batch; ++b) {
      const float* x = input + (size_t)b * (size_t)n_in;
      int8_t* qb = q + (size_t)b * (size_t)n_in;
      zero_points[b] = 0;
      factors[b] = p->asymmetric ? mtvm_hybrid_quantize_asymmetric(x, n_in, qb, &zero_points[b])
                                 : mtvm_hybrid_quantize_symmetric(x, n_in, qb);
      factors[b] = factors[b] * p->weights_feature_scale;
    }
    for (int32_t b = 0; b < batch; ++b) {
      const int8_t* qb = q + (size_t)b * (size_t)n_in;
      for (int32_t f = 0; f < filters; ++f) {
        const int8_t* w = weights_feature + (size_t)f * (size_t)n_in;
        int32_t dot = 0;
        for (int32_t i = 0; i < n_in; ++i) {
          dot += (int32_t)w[i] * (int32_t)qb[i];
        }
        if (zero_points[b] != 0 && row_sums != NULL) {
          dot -= zero_points[b] * row_sums[f];
        }
        feature[(size_t)b * (size_t)filters + (size_t)f] += (float)dot * factors[b];
      }
    }
  }
  for (size_t i = 0; i < (size_t)batch * (size_t)filters; ++i) {
    state[i * (size_t)memory + (size_t)(memory - 1)] = feature[i];
  }
  /* The filter dots replace the features in the scratch (LiteRT reuses it the same way). */
  for (int32_t b = 0; b < batch; ++b) {
    const float* state_b = state + (size_t)b * (size_t)filters * (size_t)memory;
    for (int32_t f = 0; f < filters; ++f) {
      feature[(size_t)b * (size_t)filters + (size_t)f] =
          lane_sum(weights_time + (size_t)f * (size_t)memory, state_b + (size_t)f * (size_t)memory, memory);
    }
  }
  for (int32_t i = 0; i < batch * p->num_units; ++i) {
    float v = lane_sum(feature + (size_t)i * (size_t)p->rank, NULL, p->rank);
    if (bias != NULL) {
      v += bias[i % p->num_units];
    }
    output[i] = mtvm_hybrid_activation(v, p->activation);
  }
}
