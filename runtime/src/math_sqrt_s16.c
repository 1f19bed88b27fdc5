/*
 * int16 (quantized) SQRT (see mtvm/math.h), as LiteRT 2.3.0 computes it: the input dequantized in
 * float32, sqrtf (correctly rounded in IEEE arithmetic), divided by the output scale in float32 and
 * converted with static_cast<int32_t>. That conversion truncates toward zero; on LiteRT's x86-64
 * host a quotient of 2^31 or more converts to INT32_MIN (the "integer indefinite" value), which
 * the clamp turns into -32768: reproduced here without the undefined C conversion.
 */
#include <math.h>
#include <stdint.h>

#include "mtvm/math.h"
#include "mtvm/quant.h"

void mtvm_sqrt_q16(const mtvm_sqrt_q16_params_t *p, const int16_t *in, int16_t *out) {
  for (int32_t i = 0; i < p->size; ++i) {
    const float dequantized = p->input_scale * (float)(in[i] < 0 ? 0 : in[i]);
    const float quotient = sqrtf(dequantized) / p->output_scale;
    const int32_t truncated = quotient < 2147483648.0f ? (int32_t)quotient : INT32_MIN;
    out[i] = (int16_t)mtvm_clamp_i32(truncated, INT16_MIN, INT16_MAX);
  }
}
