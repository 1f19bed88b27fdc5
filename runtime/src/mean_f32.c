/* float32 MEAN (see mtvm/reduce.h): the elements summed in input order, then divided. */
#include <stddef.h>
#include <stdint.h>

#include "mtvm/reduce.h"

void mtvm_mean_f32(const mtvm_mean_params_t* p, const float* input, float* output) {
  const int32_t num_outputs = mtvm_mean_num_outputs(p);
  int32_t outer_index[MTVM_MEAN_MAX_DIMS] = {0};
  size_t base = 0;
  for (int32_t o = 0; o < num_outputs; ++o) {
    int32_t inner_index[MTVM_MEAN_MAX_DIMS] = {0};
    size_t offset = base;
    float sum = 0.0f; /* elements are added in input order, as TFLite's reduction does */
    for (int32_t k = 0; k < p->count; ++k) {
      sum += input[offset];
      offset = mtvm_next_offset(p->num_inner, p->inner_extent, p->inner_stride, inner_index, offset);
    }
    output[o] = sum / (float)p->count;
    base = mtvm_next_offset(p->num_outer, p->outer_extent, p->outer_stride, outer_index, base);
  }
}
