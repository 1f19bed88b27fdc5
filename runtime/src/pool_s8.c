/*
 * int8 AVERAGE_POOL_2D and MAX_POOL_2D (see mtvm/reduce.h): TFLite's reference_integer_ops pooling.
 * Input and output share quantization, as in TFLite.
 */
#include <stddef.h>
#include <stdint.h>

#include "mtvm/nhwc.h"
#include "mtvm/quant.h"
#include "mtvm/reduce.h"

void mtvm_avg_pool2d_s8(const mtvm_pool2d_params_t* p, const int8_t* input, int8_t* output) {
  for (int32_t b = 0; b < p->batches; ++b) {
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
      for (int32_t ox = 0; ox < p->out_w; ++ox) {
        const mtvm_window_t w = mtvm_pool_window(p, oy, ox);
        /* Only cells inside the input count; the generator rejects empty windows. */
        const int32_t count = (w.y1 - w.y0) * (w.x1 - w.x0);
        int8_t* out = output + mtvm_nhwc_offset(b, oy, ox, p->out_h, p->out_w, p->channels);
        for (int32_t c = 0; c < p->channels; ++c) {
          int32_t acc = 0;
          for (int32_t y = w.y0; y < w.y1; ++y) {
            const int8_t* row = input + mtvm_nhwc_offset(b, y, 0, p->in_h, p->in_w, p->channels) + c;
            for (int32_t x = w.x0; x < w.x1; ++x) {
              acc += row[(size_t)x * (size_t)p->channels];
            }
          }
          /* Round to nearest, halves away from zero (C division truncates toward zero). */
          acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          out[c] = (int8_t)mtvm_clamp_i32(acc, p->act_min, p->act_max);
        }
      }
    }
  }
}

void mtvm_max_pool2d_s8(const mtvm_pool2d_params_t* p, const int8_t* input, int8_t* output) {
  for (int32_t b = 0; b < p->batches; ++b) {
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
      for (int32_t ox = 0; ox < p->out_w; ++ox) {
        const mtvm_window_t w = mtvm_pool_window(p, oy, ox);
        int8_t* out = output + mtvm_nhwc_offset(b, oy, ox, p->out_h, p->out_w, p->channels);
        for (int32_t c = 0; c < p->channels; ++c) {
          int32_t max = INT8_MIN;
          for (int32_t y = w.y0; y < w.y1; ++y) {
            const int8_t* row = input + mtvm_nhwc_offset(b, y, 0, p->in_h, p->in_w, p->channels) + c;
            for (int32_t x = w.x0; x < w.x1; ++x) {
              const int32_t v = row[(size_t)x * (size_t)p->channels];
              max = v > max ? v : max;
            }
          }
          out[c] = (int8_t)mtvm_clamp_i32(max, p->act_min, p->act_max);
        }
      }
    }
  }
}
