/*
 * CAST between float32, int8, uint8, int16, int32, int64 and bool (uint8_t 0/1), with LiteRT's
 * semantics (tflite/kernels/cast.cc):
 *   - float to integer saturates: NaN gives the largest value; below the smallest value gives
 *     the smallest; above the largest float not exceeding the type's maximum gives the maximum
 *     (for int32 that float is 2^31 - 128, for int64 2^63 - 2^39: the maximum itself is not a
 *     float); everything else truncates toward zero;
 *   - integer to integer keeps the low bits (two's complement wrap);
 *   - integer to float rounds to nearest;
 *   - anything to bool is `!= 0` (NaN is true); bool to anything is 0 or 1.
 * Quantization parameters are ignored, as LiteRT does.
 */
#include <stdint.h>

#include "mtvm/math.h"

#define MTVM_DEFINE_CAST(FROM, TF, TO, TT, EXPR)                                          \
  void mtvm_cast_##FROM##_##TO(const mtvm_unary_params_t* p, const TF* in, TT* out) {     \
    for (int32_t i = 0; i < p->size; ++i) {                                               \
      const TF x = in[i];                                                                 \
      out[i] = (TT)(EXPR);                                                                \
    }                                                                                     \
  }

/* Saturating float to integer, written so the final conversion is always in range. */
#define MTVM_SAT_F32(x, T, LO, HI_FLOAT, HI) \
  ((x) != (x) ? (HI) : ((x) < (float)(LO) ? (LO) : ((x) > (HI_FLOAT) ? (HI) : (T)(x))))

MTVM_DEFINE_CAST(f32, float, f32, float, x)
MTVM_DEFINE_CAST(f32, float, s8, int8_t, MTVM_SAT_F32(x, int8_t, INT8_MIN, 127.0f, INT8_MAX))
MTVM_DEFINE_CAST(f32, float, u8, uint8_t, MTVM_SAT_F32(x, uint8_t, 0, 255.0f, UINT8_MAX))
MTVM_DEFINE_CAST(f32, float, s16, int16_t, MTVM_SAT_F32(x, int16_t, INT16_MIN, 32767.0f, INT16_MAX))
MTVM_DEFINE_CAST(f32, float, s32, int32_t, MTVM_SAT_F32(x, int32_t, INT32_MIN, 2147483520.0f, INT32_MAX))
MTVM_DEFINE_CAST(f32, float, s64, int64_t,
                 MTVM_SAT_F32(x, int64_t, INT64_MIN, 9223371487098961920.0f, INT64_MAX))
MTVM_DEFINE_CAST(f32, float, b, uint8_t, x != 0.0f)

/* From an integer type (bool inputs are read as `!= 0`, so any non-zero byte counts as true). */
#define MTVM_DEFINE_CAST_FROM_INT(FROM, TF, V)             \
  MTVM_DEFINE_CAST(FROM, TF, f32, float, V)                \
  MTVM_DEFINE_CAST(FROM, TF, s8, int8_t, (uint8_t)(V))     \
  MTVM_DEFINE_CAST(FROM, TF, u8, uint8_t, (uint8_t)(V))    \
  MTVM_DEFINE_CAST(FROM, TF, s16, int16_t, (uint16_t)(V))  \
  MTVM_DEFINE_CAST(FROM, TF, s32, int32_t, (uint32_t)(V))  \
  MTVM_DEFINE_CAST(FROM, TF, s64, int64_t, V)              \
  MTVM_DEFINE_CAST(FROM, TF, b, uint8_t, (V) != 0)

MTVM_DEFINE_CAST_FROM_INT(s8, int8_t, x)
MTVM_DEFINE_CAST_FROM_INT(u8, uint8_t, x)
MTVM_DEFINE_CAST_FROM_INT(s16, int16_t, x)
MTVM_DEFINE_CAST_FROM_INT(s32, int32_t, x)
MTVM_DEFINE_CAST_FROM_INT(s64, int64_t, x)
MTVM_DEFINE_CAST_FROM_INT(b, uint8_t, (x != 0))
