/*
 * What the kernels that map each element on its own share (unary math, activation functions,
 * table lookups): the parameter struct holding the element count.
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

#ifdef __cplusplus
}
#endif

#endif /* MTVM_UNARY_H_ */
