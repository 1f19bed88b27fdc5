/* PAD and PADV2 (see mtvm/movement.h): the fill pattern everywhere, then the input copied into
   the interior with mtvm_strided_copy (strided_copy.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mtvm/movement.h"

void mtvm_pad(const mtvm_pad_params_t* params, const void* src, void* dst) {
  uint8_t* out = (uint8_t*)dst;
  const int32_t size = params->elem_bytes;
  int uniform = 1; /* every byte of the pattern equal: one memset */
  for (int32_t k = 1; k < size; ++k) {
    uniform = uniform && params->fill[k] == params->fill[0];
  }
  if (uniform) {
    memset(out, params->fill[0], (size_t)params->dst_bytes);
  } else {
    for (int32_t offset = 0; offset < params->dst_bytes; offset += size) {
      memcpy(out + offset, params->fill, (size_t)size);
    }
  }
  mtvm_strided_copy(&params->interior, src, dst);
}
