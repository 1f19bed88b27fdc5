/* L2_POOL_2D, float32 (LiteRT's reference L2Pool; see mtvm/normalize.h). */
#include <math.h>
#include <stdint.h>

#include "mtvm/normalize.h"

void mtvm_l2_pool2d_f32(const mtvm_l2_pool_params_t* p, const float* input, float* output) {
  for (int32_t b = 0; b < p->batches; ++b) {
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
      const int32_t y0 = oy * p->stride_h - p->pad_h;
      const int32_t fy_start = y0 < 0 ? -y0 : 0;
      const int32_t fy_end = p->filter_h < p->in_h - y0 ? p->filter_h : p->in_h - y0;
      for (int32_t ox = 0; ox < p->out_w; ++ox) {
        const int32_t x0 = ox * p->stride_w - p->pad_w;
        const int32_t fx_start = x0 < 0 ? -x0 : 0;
        const int32_t fx_end = p->filter_w < p->in_w - x0 ? p->filter_w : p->in_w - x0;
        for (int32_t c = 0; c < p->channels; ++c) {
          float sum_squares = 0.0f;
          int32_t count = 0;
          for (int32_t fy = fy_start; fy < fy_end; ++fy) {
            for (int32_t fx = fx_start; fx < fx_end; ++fx) {
              const float v = input[(((int64_t)b * p->in_h + y0 + fy) * p->in_w + x0 + fx) * p->channels + c];
              sum_squares += v * v;
              ++count;
            }
          }
          const float result = sqrtf(sum_squares / (float)count);
          /* ActivationFunctionWithMinMax: min(max(x, lo), hi). */
          const float low = result < p->act_min ? p->act_min : result;
          *output++ = low > p->act_max ? p->act_max : low;
        }
      }
    }
  }
}
