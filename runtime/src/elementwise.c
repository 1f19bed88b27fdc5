/*
 * Elementwise kernels (see mtvm/elementwise.h). The arithmetic of each element follows TFLite's
 * reference kernels bit for bit; the generator has already computed every constant.
 */
#include "mtvm/elementwise.h"

#include <stdint.h>

#include "mtvm/quant.h"

/*
 * Steps the input offsets of a broadcast walk to the next run of the innermost dimension:
 * an odometer over the outer dimensions of `b` (index[] holds the position in each).
 */
static void mtvm__bcast_next(const mtvm_bcast_t *b, int32_t *index, int32_t *off1, int32_t *off2) {
  for (int32_t d = b->rank - 2; d >= 0; --d) {
    index[d] += 1;
    *off1 += b->stride1[d];
    *off2 += b->stride2[d];
    if (index[d] < b->shape[d]) {
      return;
    }
    /* This dimension wrapped around: rewind it and carry into the next outer one. */
    *off1 -= b->stride1[d] * b->shape[d];
    *off2 -= b->stride2[d] * b->shape[d];
    index[d] = 0;
  }
}

/*
 * Defines the kernel `mtvm_<NAME>(p, in1, in2, out)` that stores ELEM(p, a, b) for every output
 * element: one flat loop when the inputs need no broadcast (bcast.rank == 0), otherwise a walk
 * over the outer dimensions with an inner loop along the last one. A macro rather than a function
 * pointer so that ELEM is inlined into both loops. Each element's operands are read before the
 * element is written, so `out` may alias a full-size input.
 */
#define MTVM_DEFINE_BINARY_KERNEL(NAME, T, PARAMS, ELEM)                                  \
  void mtvm_##NAME(const PARAMS *p, const T *in1, const T *in2, T *out) {                  \
    if (p->bcast.rank == 0) {                                                               \
      for (int32_t i = 0; i < p->size; ++i) {                                               \
        out[i] = ELEM(p, in1[i], in2[i]);                                                   \
      }                                                                                     \
      return;                                                                               \
    }                                                                                       \
    const mtvm_bcast_t *b = &p->bcast;                                                      \
    const int32_t last = b->rank - 1;                                                       \
    const int32_t inner = b->shape[last];                                                   \
    const int32_t step1 = b->stride1[last];                                                 \
    const int32_t step2 = b->stride2[last];                                                 \
    int32_t index[MTVM_BCAST_MAX_DIMS] = {0};                                               \
    int32_t off1 = 0;                                                                       \
    int32_t off2 = 0;                                                                       \
    for (int32_t o = 0; o < p->size; o += inner) {                                          \
      for (int32_t i = 0; i < inner; ++i) {                                                 \
        out[o + i] = ELEM(p, in1[off1 + i * step1], in2[off2 + i * step2]);                 \
      }                                                                                     \
      mtvm__bcast_next(b, index, &off1, &off2);                                             \
    }                                                                                       \
  }

/* ---- int8 element functions ------------------------------------------------------------- */

/* Both inputs on a common scale with `left_shift` bits of headroom (TFLite's Add/Sub Prepare). */
static inline int32_t mtvm__addsub_rescale(int32_t offset, int8_t x, int32_t multiplier, int32_t shift,
                                           int32_t left_shift) {
  const int32_t shifted = (offset + (int32_t)x) * ((int32_t)1 << left_shift);
  return mtvm_multiply_by_quantized_multiplier(shifted, multiplier, (int)shift);
}

static inline int8_t mtvm__addsub_finish(const mtvm_addsub_s8_params_t *p, int32_t raw) {
  const int32_t out =
      mtvm_multiply_by_quantized_multiplier(raw, p->output_multiplier, (int)p->output_shift) + p->output_offset;
  return (int8_t)mtvm_clamp_i32(out, p->act_min, p->act_max);
}

static inline int8_t mtvm__add_s8_elem(const mtvm_addsub_s8_params_t *p, int8_t a, int8_t b) {
  const int32_t x1 = mtvm__addsub_rescale(p->input1_offset, a, p->input1_multiplier, p->input1_shift, p->left_shift);
  const int32_t x2 = mtvm__addsub_rescale(p->input2_offset, b, p->input2_multiplier, p->input2_shift, p->left_shift);
  return mtvm__addsub_finish(p, x1 + x2);
}

static inline int8_t mtvm__sub_s8_elem(const mtvm_addsub_s8_params_t *p, int8_t a, int8_t b) {
  const int32_t x1 = mtvm__addsub_rescale(p->input1_offset, a, p->input1_multiplier, p->input1_shift, p->left_shift);
  const int32_t x2 = mtvm__addsub_rescale(p->input2_offset, b, p->input2_multiplier, p->input2_shift, p->left_shift);
  return mtvm__addsub_finish(p, x1 - x2);
}

static inline int8_t mtvm__mul_s8_elem(const mtvm_mul_s8_params_t *p, int8_t a, int8_t b) {
  const int32_t product = (p->input1_offset + (int32_t)a) * (p->input2_offset + (int32_t)b);
  const int32_t out =
      mtvm_multiply_by_quantized_multiplier(product, p->output_multiplier, (int)p->output_shift) + p->output_offset;
  return (int8_t)mtvm_clamp_i32(out, p->act_min, p->act_max);
}

/* MAXIMUM/MINIMUM compare stored values, with TFLite's choice of operand on ties and NaN. */
#define MTVM__MAX_ELEM(p, a, b) ((void)(p), (a) > (b) ? (a) : (b))
#define MTVM__MIN_ELEM(p, a, b) ((void)(p), (a) < (b) ? (a) : (b))

/* ---- float32 element functions ---------------------------------------------------------- */

static inline float mtvm__add_f32_elem(const mtvm_arith_f32_params_t *p, float a, float b) {
  return mtvm_clamp_f32(a + b, p->act_min, p->act_max);
}

static inline float mtvm__sub_f32_elem(const mtvm_arith_f32_params_t *p, float a, float b) {
  return mtvm_clamp_f32(a - b, p->act_min, p->act_max);
}

static inline float mtvm__mul_f32_elem(const mtvm_arith_f32_params_t *p, float a, float b) {
  return mtvm_clamp_f32(a * b, p->act_min, p->act_max);
}

MTVM_DEFINE_BINARY_KERNEL(add_s8, int8_t, mtvm_addsub_s8_params_t, mtvm__add_s8_elem)
MTVM_DEFINE_BINARY_KERNEL(sub_s8, int8_t, mtvm_addsub_s8_params_t, mtvm__sub_s8_elem)
MTVM_DEFINE_BINARY_KERNEL(mul_s8, int8_t, mtvm_mul_s8_params_t, mtvm__mul_s8_elem)
MTVM_DEFINE_BINARY_KERNEL(maximum_s8, int8_t, mtvm_minmax_params_t, MTVM__MAX_ELEM)
MTVM_DEFINE_BINARY_KERNEL(minimum_s8, int8_t, mtvm_minmax_params_t, MTVM__MIN_ELEM)
MTVM_DEFINE_BINARY_KERNEL(add_f32, float, mtvm_arith_f32_params_t, mtvm__add_f32_elem)
MTVM_DEFINE_BINARY_KERNEL(sub_f32, float, mtvm_arith_f32_params_t, mtvm__sub_f32_elem)
MTVM_DEFINE_BINARY_KERNEL(mul_f32, float, mtvm_arith_f32_params_t, mtvm__mul_f32_elem)
MTVM_DEFINE_BINARY_KERNEL(maximum_f32, float, mtvm_minmax_params_t, MTVM__MAX_ELEM)
MTVM_DEFINE_BINARY_KERNEL(minimum_f32, float, mtvm_minmax_params_t, MTVM__MIN_ELEM)

/* ---- unary kernels ------------------------------------------------------------------------ */

void mtvm_lut_s8(const mtvm_lut_s8_params_t *p, const int8_t *table, const int8_t *in, int8_t *out) {
  for (int32_t i = 0; i < p->size; ++i) {
    out[i] = table[(int32_t)in[i] + 128];
  }
}

void mtvm_relu_f32(const mtvm_relu_f32_params_t *p, const float *in, float *out) {
  for (int32_t i = 0; i < p->size; ++i) {
    out[i] = mtvm_clamp_f32(in[i], p->lo, p->hi); /* a NaN stays NaN, as in LiteRT */
  }
}

void mtvm_leaky_relu_f32(const mtvm_leaky_relu_f32_params_t *p, const float *in, float *out) {
  for (int32_t i = 0; i < p->size; ++i) {
    const float x = in[i];
    out[i] = x > 0.0f ? x : x * p->alpha;
  }
}

void mtvm_hard_swish_f32(const mtvm_hard_swish_f32_params_t *p, const float *in, float *out) {
  for (int32_t i = 0; i < p->size; ++i) {
    const float x = in[i];
    const float shifted = x + 3.0f;
    const float relu6 = 0.0f < shifted ? (6.0f < shifted ? 6.0f : shifted) : 0.0f;
    out[i] = x * relu6 / 6.0f;
  }
}
