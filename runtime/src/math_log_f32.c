/* float32 LOG: logf (log of a negative number is NaN, of zero -inf, as in LiteRT). */
#include <math.h>
#include <stdint.h>

#include "mtvm/math.h"

void mtvm_log_f32(const mtvm_unary_params_t* p, const float* in, float* out) {
  for (int32_t i = 0; i < p->size; ++i) {
    out[i] = logf(in[i]);
  }
}
