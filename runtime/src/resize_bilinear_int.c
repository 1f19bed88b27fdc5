/* int8 and int16 RESIZE_BILINEAR (LiteRT's ResizeBilinearInteger, see mtvm/resize.h). */
#include <stdint.h>

#include "mtvm/resize.h"

#define MTVM__DEFINE_BILINEAR_INT(NAME, T)                                                        \
  void NAME(const mtvm_resize_params_t* p, const int32_t* rows, const int32_t* cols, const T* input, \
            T* output) {                                                                          \
    const int32_t depth = p->depth;                                                               \
    const int32_t row_stride = p->in_w * depth;                                                   \
    for (int32_t b = 0; b < p->batches; ++b) {                                                    \
      const T* image = input + (int64_t)b * p->in_h * row_stride;                                 \
      for (int32_t y = 0; y < p->out_h; ++y) {                                                    \
        const T* r0 = image + (int64_t)rows[3 * y] * row_stride;                                  \
        const T* r1 = image + (int64_t)rows[3 * y + 1] * row_stride;                              \
        const int64_t fy = rows[3 * y + 2];                                                       \
        for (int32_t x = 0; x < p->out_w; ++x) {                                                  \
          const int32_t c0 = cols[3 * x] * depth;                                                 \
          const int32_t c1 = cols[3 * x + 1] * depth;                                             \
          const int64_t fx = cols[3 * x + 2];                                                     \
          for (int32_t c = 0; c < depth; ++c) {                                                   \
            const int64_t sum = (int64_t)r0[c0 + c] * (1024 - fy) * (1024 - fx) +                 \
                                (int64_t)r1[c0 + c] * fy * (1024 - fx) +                          \
                                (int64_t)r0[c1 + c] * (1024 - fy) * fx +                          \
                                (int64_t)r1[c1 + c] * fy * fx;                                    \
            /* Round half away from zero, then C's truncating division: LiteRT's              \
               (output_20 + round) / (1 << 20) with round = +-2^19. */                            \
            const int64_t round = sum > 0 ? ((int64_t)1 << 19) : -((int64_t)1 << 19);             \
            *output++ = (T)((sum + round) / ((int64_t)1 << 20));                                  \
          }                                                                                       \
        }                                                                                         \
      }                                                                                           \
    }                                                                                             \
  }

MTVM__DEFINE_BILINEAR_INT(mtvm_resize_bilinear_s8, int8_t)
MTVM__DEFINE_BILINEAR_INT(mtvm_resize_bilinear_s16, int16_t)
