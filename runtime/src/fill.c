/* FILL and ZEROS_LIKE (see mtvm/math.h): the output shape is static, only the value is read. */
#include <stdint.h>
#include <string.h>

#include "mtvm/math.h"

#define MTVM_DEFINE_FILL(BITS, T)                                                 \
  void mtvm_fill_##BITS(const mtvm_fill_params_t* p, const void* value, void* out) { \
    T v;                                                                          \
    memcpy(&v, value, sizeof v);                                                  \
    T* o = (T*)out;                                                              \
    for (int32_t i = 0; i < p->size; ++i) {                                       \
      o[i] = v;                                                                   \
    }                                                                             \
  }

MTVM_DEFINE_FILL(8, uint8_t)
MTVM_DEFINE_FILL(16, uint16_t)
MTVM_DEFINE_FILL(32, uint32_t)
MTVM_DEFINE_FILL(64, uint64_t)

void mtvm_fill_zero(const mtvm_fill_params_t* p, void* out) {
  memset(out, 0, (size_t)p->size);
}
