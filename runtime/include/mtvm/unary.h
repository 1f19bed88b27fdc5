/*
 * What the kernels that map each element on its own share (unary math, activation functions,
 * conversions): the parameter struct holding the element count, and the int8 lookup-table
 * kernel (lut_s8.c).
 */
#ifndef MTVM_UNARY_H_
#define MTVM_UNARY_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t size; /* elements */
} mtvm_unary_params_t;

/* output[i] = table[input[i] + 128]: `table` has 256 entries, the output for every int8 input
   value from -128 to 127, computed at generation time (tools/microtvm/microtvm/ops/lut.py). The
   int8 RELU, RELU6, LEAKY_RELU, HARD_SWISH, LOGISTIC, TANH, ABS, SQRT, RSQRT, EXP, LOG, ELU, GELU
   and the int8 -> int8 QUANTIZE run here. Reads element i before writing it (in place is fine). */
void mtvm_lut_s8(const mtvm_unary_params_t* p, const int8_t* table, const int8_t* input, int8_t* output);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_UNARY_H_ */
