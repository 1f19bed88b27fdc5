/* RESIZE_NEAREST_NEIGHBOR (see mtvm/resize.h): each output pixel copies the depth elements of
   one input pixel, as LiteRT's reference kernel does with memcpy. */
#include <stdint.h>
#include <string.h>

#include "mtvm/resize.h"

void mtvm_resize_nearest(const mtvm_resize_params_t* p, const int32_t* in_y, const int32_t* in_x, const void* input,
                         void* output) {
  const size_t pixel = (size_t)p->depth * (size_t)p->elem_bytes;
  const uint8_t* in = (const uint8_t*)input;
  uint8_t* out = (uint8_t*)output;
  for (int32_t b = 0; b < p->batches; ++b) {
    const uint8_t* image = in + (size_t)b * (size_t)p->in_h * (size_t)p->in_w * pixel;
    for (int32_t y = 0; y < p->out_h; ++y) {
      const uint8_t* row = image + (size_t)in_y[y] * (size_t)p->in_w * pixel;
      for (int32_t x = 0; x < p->out_w; ++x) {
        memcpy(out, row + (size_t)in_x[x] * pixel, pixel);
        out += pixel;
      }
    }
  }
}
