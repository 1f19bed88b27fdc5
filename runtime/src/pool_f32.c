/*
 * float32 AVERAGE_POOL_2D and MAX_POOL_2D (see mtvm/reduce.h): TFLite's reference pooling, summing
 * and comparing in its order.
 */
#include <stddef.h>
#include <stdint.h>

#include "mtvm/nhwc.h"
#include "mtvm/quant.h"
#include "mtvm/reduce.h"
#include "reduce_internal.h"

void mtvm_avg_pool2d_f32(const mtvm_pool2d_params_t* p, const float* input, float* output) {
  for (int32_t b = 0; b < p->batches; ++b) {
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
      for (int32_t ox = 0; ox < p->out_w; ++ox) {
        const mtvm_window_t w = mtvm_pool_window(p, oy, ox);
        const float count = (float)((w.y1 - w.y0) * (w.x1 - w.x0));
        float* out = output + mtvm_nhwc_offset(b, oy, ox, p->out_h, p->out_w, p->channels);
        for (int32_t c = 0; c < p->channels; ++c) {
          float total = 0.0f; /* summed row by row, column by column, as TFLite does */
          for (int32_t y = w.y0; y < w.y1; ++y) {
            const float* row = input + mtvm_nhwc_offset(b, y, 0, p->in_h, p->in_w, p->channels) + c;
            for (int32_t x = w.x0; x < w.x1; ++x) {
              total += row[(size_t)x * (size_t)p->channels];
            }
          }
          out[c] = mtvm_clamp_f32(total / count, p->act_min_f, p->act_max_f);
        }
      }
    }
  }
}

void mtvm_max_pool2d_f32(const mtvm_pool2d_params_t* p, const float* input, float* output) {
  for (int32_t b = 0; b < p->batches; ++b) {
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
      for (int32_t ox = 0; ox < p->out_w; ++ox) {
        const mtvm_window_t w = mtvm_pool_window(p, oy, ox);
        float* out = output + mtvm_nhwc_offset(b, oy, ox, p->out_h, p->out_w, p->channels);
        for (int32_t c = 0; c < p->channels; ++c) {
          float max = MTVM_FLOAT_LOWEST;
          for (int32_t y = w.y0; y < w.y1; ++y) {
            const float* row = input + mtvm_nhwc_offset(b, y, 0, p->in_h, p->in_w, p->channels) + c;
            for (int32_t x = w.x0; x < w.x1; ++x) {
              const float v = row[(size_t)x * (size_t)p->channels];
              max = max < v ? v : max;
            }
          }
          out[c] = mtvm_clamp_f32(max, p->act_min_f, p->act_max_f);
        }
      }
    }
  }
}
