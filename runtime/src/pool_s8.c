/*
 * int8 AVERAGE_POOL_2D and MAX_POOL_2D (see mtvm/reduce.h): TFLite's reference_integer_ops pooling.
 * Input and output share quantization, as in TFLite.
 */
#include <stddef.h>
#include <stdint.h>

#include "mtvm/nhwc.h"
#include "mtvm/quant.h"
#include "mtvm/reduce.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1) && defined(__GNUC__) && defined(__OPTIMIZE__)
#include <arm_mve.h>
#define MTVM_POOL_MVE 1
/* Windows of at most this many cells take the Helium path of the average (see below). */
#define MTVM_POOL_MVE_MAX_COUNT 4096
#else
#define MTVM_POOL_MVE 0
#endif

void mtvm_avg_pool2d_s8(const mtvm_pool2d_params_t* p, const int8_t* input, int8_t* output) {
  for (int32_t b = 0; b < p->batches; ++b) {
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
      for (int32_t ox = 0; ox < p->out_w; ++ox) {
        const mtvm_window_t w = mtvm_pool_window(p, oy, ox);
        /* Only cells inside the input count; the generator rejects empty windows. */
        const int32_t count = (w.y1 - w.y0) * (w.x1 - w.x0);
        int8_t* out = output + mtvm_nhwc_offset(b, oy, ox, p->out_h, p->out_w, p->channels);
        int32_t c = 0;
#if MTVM_POOL_MVE
        /* Helium: four channels per step in int32 lanes (VLDRB.S32 widens, VADD sums), the
           last ones under a tail predicate. The rounded quotient below is
           sign(acc) * floor((|acc| + count / 2) / count), which is what the scalar code computes
           (C division truncates toward zero), taken as the high word of n * m with
           m = ceil(2^32 / count) (VMULH): with m = (2^32 + e) / count, 0 <= e < count, and
           n = q * count + r, n * m / 2^32 = q + r / count + n * e / (count * 2^32), whose floor is
           q while n * e / 2^32 < 1, i.e. n * count < 2^32; n <= 128 * count + count / 2, so
           count <= 4096 is enough. count == 1 needs no division. */
        if (count > 1 && count <= MTVM_POOL_MVE_MAX_COUNT) {
          const uint32_t m = 0xFFFFFFFFu / (uint32_t)count + 1u; /* ceil(2^32 / count), count >= 2 */
          const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
          for (; c < p->channels; c += 4) {
            const mve_pred16_t pred = vctp32q((uint32_t)(p->channels - c));
            int32x4_t acc = vdupq_n_s32(0);
            for (int32_t y = w.y0; y < w.y1; ++y) {
              const int8_t* row = input + mtvm_nhwc_offset(b, y, 0, p->in_h, p->in_w, p->channels) + c;
              for (int32_t x = w.x0; x < w.x1; ++x) {
                acc = vaddq_s32(acc, vldrbq_z_s32(row + (size_t)x * (size_t)p->channels, pred));
              }
            }
            const uint32x4_t n = vaddq_n_u32(vreinterpretq_u32_s32(vabsq_s32(acc)), (uint32_t)(count / 2));
            const int32x4_t q = vreinterpretq_s32_u32(vmulhq_u32(n, vdupq_n_u32(m)));
            const int32x4_t v = vpselq_s32(vnegq_s32(q), q, vcmpltq_n_s32(acc, 0));
            vstrbq_p_s32(out + c, vminq_s32(vmaxq_s32(v, lo), hi), pred);
          }
        }
#endif
        for (; c < p->channels; ++c) {
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
        int32_t c = 0;
#if MTVM_POOL_MVE
        /* Helium: sixteen channels per step (VMAX of int8 lanes), the last ones predicated. */
        const int8x16_t lo = vdupq_n_s8((int8_t)p->act_min), hi = vdupq_n_s8((int8_t)p->act_max);
        for (; c < p->channels; c += 16) {
          const mve_pred16_t pred = vctp8q((uint32_t)(p->channels - c));
          int8x16_t max = vdupq_n_s8(INT8_MIN);
          for (int32_t y = w.y0; y < w.y1; ++y) {
            const int8_t* row = input + mtvm_nhwc_offset(b, y, 0, p->in_h, p->in_w, p->channels) + c;
            for (int32_t x = w.x0; x < w.x1; ++x) {
              max = vmaxq_s8(max, vld1q_z_s8(row + (size_t)x * (size_t)p->channels, pred));
            }
          }
          vstrbq_p_s8(out + c, vminq_s8(vmaxq_s8(max, lo), hi), pred);
        }
#endif
        for (; c < p->channels; ++c) {
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
