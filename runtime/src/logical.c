/* LOGICAL_AND, LOGICAL_OR (broadcasting) and LOGICAL_NOT on bool (uint8_t, non-zero is true). */
#include <stdint.h>

#include "mtvm/compare.h"

#define MTVM__AND(p, a, b) ((void)(p), (uint8_t)(((a) != 0) && ((b) != 0)))
#define MTVM__OR(p, a, b) ((void)(p), (uint8_t)(((a) != 0) || ((b) != 0)))

MTVM_DEFINE_BCAST_BINARY(mtvm_logical_and, uint8_t, uint8_t, uint8_t, mtvm_compare_params_t, MTVM__AND)
MTVM_DEFINE_BCAST_BINARY(mtvm_logical_or, uint8_t, uint8_t, uint8_t, mtvm_compare_params_t, MTVM__OR)

void mtvm_logical_not(const mtvm_logical_not_params_t* p, const uint8_t* in, uint8_t* out) {
  for (int32_t i = 0; i < p->size; ++i) {
    out[i] = (uint8_t)(in[i] == 0);
  }
}
