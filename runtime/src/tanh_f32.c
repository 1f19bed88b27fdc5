/* float32 TANH (see mtvm/reduce.h): tanhf of each element, as TFLite's reference. */
#include <math.h>
#include <stdint.h>

#include "mtvm/reduce.h"

void mtvm_tanh_f32(const mtvm_unary_params_t* p, const float* input, float* output) {
  for (int32_t i = 0; i < p->size; ++i) {
    output[i] = tanhf(input[i]);
  }
}
