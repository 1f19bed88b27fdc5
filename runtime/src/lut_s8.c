/*
 * The int8 lookup-table kernel (see mtvm/unary.h): output[i] = table[input[i] + 128]. Every int8
 * operator whose output element depends on its input element alone runs here, its function
 * tabulated for all 256 inputs at generation time (tools/microtvm/microtvm/ops/lut.py).
 */
#include <stdint.h>

#include "mtvm/unary.h"

void mtvm_lut_s8(const mtvm_unary_params_t* p, const int8_t* table, const int8_t* input, int8_t* output) {
  for (int32_t i = 0; i < p->size; ++i) {
    output[i] = table[(int32_t)input[i] + 128];
  }
}
