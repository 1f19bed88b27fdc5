/* Hybrid EMBEDDING_LOOKUP (see mtvm/gather.h): LiteRT's EvalHybrid, rows dequantized on the way. */
#include <stddef.h>
#include <stdint.h>

#include "mtvm/gather.h"

void mtvm_embedding_lookup_hybrid(const mtvm_embedding_lookup_hybrid_params_t* p, const int8_t* table,
                                  const float* row_scales, const int32_t* lookup, float* output) {
  for (int32_t i = 0; i < p->count; ++i) {
    const int32_t row = lookup[i];
    float* out = output + (size_t)i * (size_t)p->cols;
    if (row < 0 || row >= p->rows) {
      for (int32_t j = 0; j < p->cols; ++j) {
        out[j] = 0.0f;
      }
      continue;
    }
    const float scale = row_scales != NULL ? row_scales[row] : p->scale;
    const int8_t* values = table + (size_t)row * (size_t)p->cols;
    for (int32_t j = 0; j < p->cols; ++j) {
      out[j] = (float)values[j] * scale;
    }
  }
}
