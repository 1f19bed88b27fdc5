/*
 * Reductions: SUM, REDUCE_PROD, REDUCE_MAX, REDUCE_MIN, REDUCE_ANY, REDUCE_ALL, ARG_MAX, ARG_MIN
 * and CUMSUM, for the tensor types LiteRT's reference kernels run them on.
 *
 * The code generator (tools/microtvm/microtvm/ops/reduction.py) resolves the axes (negative,
 * duplicated, empty), merges neighbouring dimensions and computes every requantization
 * constant; the kernels only walk the data. Each kernel variant lives in its own source file
 * (reduce_sum.c, reduce_prod_q.c, arg_minmax.c, cumsum.c, ...).
 *
 * Order of evaluation: LiteRT's ReduceGeneric visits the input in memory order and folds each
 * element into its output, so every output sees its elements in increasing input offset. The
 * kernels here produce one output at a time but visit its elements in that same order, which
 * keeps float sums and products bit-identical. When every dimension is reduced LiteRT instead
 * starts from the first element rather than from the identity (ReduceAllDims); `seed_first`
 * selects that (it matters for -0.0, infinities and NaN only).
 *
 * Integer sums and products wrap around like LiteRT's (they are computed in unsigned
 * arithmetic here, where wrapping is defined in C).
 */
#ifndef MTVM_REDUCTION_H_
#define MTVM_REDUCTION_H_

#include <stdint.h>

#include "mtvm/quant.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest number of kept or reduced dimension groups after the generator's merging. */
#define MTVM_REDUCE_MAX_DIMS 8

/*
 * How one reduction walks its input. The input dimensions are split into kept ("outer") and
 * reduced ("inner") groups, each with an extent and an input stride in elements, outermost
 * first; unit dimensions are dropped and neighbours of the same kind merged. Output o (in
 * row-major order of the kept groups, which is the output layout with or without keep_dims)
 * reduces the `count` elements at offsets base(o) + the odometer over the inner groups.
 */
typedef struct {
  int32_t num_outputs;
  int32_t count;      /* elements folded into each output (1 when no axis is reduced) */
  int32_t seed_first; /* 1: start from the first element instead of the identity (all dims) */
  int32_t num_outer;
  int32_t outer_extent[MTVM_REDUCE_MAX_DIMS];
  int32_t outer_stride[MTVM_REDUCE_MAX_DIMS];
  int32_t num_inner;
  int32_t inner_extent[MTVM_REDUCE_MAX_DIMS];
  int32_t inner_stride[MTVM_REDUCE_MAX_DIMS];
} mtvm_reduce_walk_t;

/* Input offset of the first element of output o. */
static inline int32_t mtvm_reduce_base(const mtvm_reduce_walk_t* w, int32_t o) {
  int32_t offset = 0;
  for (int32_t d = w->num_outer - 1; d >= 0; --d) {
    offset += (o % w->outer_extent[d]) * w->outer_stride[d];
    o /= w->outer_extent[d];
  }
  return offset;
}

/* Odometer over the inner groups except the innermost one, which the kernels loop directly. */
typedef struct {
  int32_t offset;
  int32_t index[MTVM_REDUCE_MAX_DIMS];
} mtvm_reduce_cursor_t;

static inline void mtvm_reduce_cursor_start(mtvm_reduce_cursor_t* c) {
  c->offset = 0;
  for (int32_t d = 0; d < MTVM_REDUCE_MAX_DIMS; ++d) c->index[d] = 0;
}

static inline void mtvm_reduce_cursor_next(const mtvm_reduce_walk_t* w, mtvm_reduce_cursor_t* c) {
  for (int32_t d = w->num_inner - 2; d >= 0; --d) {
    c->offset += w->inner_stride[d];
    if (++c->index[d] < w->inner_extent[d]) return;
    c->offset -= w->inner_stride[d] * w->inner_extent[d];
    c->index[d] = 0;
  }
}

/*
 * Visits the elements of output o in increasing input offset: VISIT(x) runs for each element
 * value x = IN[...] (a statement using `x`). Used by every reduction kernel.
 */
#define MTVM_REDUCE_VISIT(W, IN, BASE, T, VISIT)                                        \
  do {                                                                                  \
    if ((W)->num_inner == 0) {                                                          \
      const T x = (IN)[(BASE)];                                                         \
      VISIT;                                                                            \
    } else {                                                                            \
      const int32_t last_ = (W)->num_inner - 1;                                         \
      const int32_t run_ = (W)->inner_extent[last_];                                    \
      const int32_t step_ = (W)->inner_stride[last_];                                   \
      mtvm_reduce_cursor_t cursor_;                                                     \
      mtvm_reduce_cursor_start(&cursor_);                                               \
      for (int32_t done_ = 0; done_ < (W)->count; done_ += run_) {                      \
        const T* row_ = (IN) + (BASE) + cursor_.offset;                                 \
        for (int32_t i_ = 0; i_ < run_; ++i_) {                                         \
          const T x = row_[i_ * step_];                                                 \
          VISIT;                                                                        \
        }                                                                               \
        mtvm_reduce_cursor_next((W), &cursor_);                                         \
      }                                                                                 \
    }                                                                                   \
  } while (0)

/*
 * Defines `void NAME(const mtvm_reduce_walk_t* w, const T* in, T* out)`: out[o] = fold of STEP
 * (acc = STEP(acc, x)) over the elements of output o, starting from INIT (or from the first
 * element when w->seed_first). The generic reducer of LiteRT's reduce.cc.
 */
#define MTVM_DEFINE_REDUCE(NAME, T, INIT, STEP)                                         \
  void NAME(const mtvm_reduce_walk_t* w, const T* in, T* out) {                         \
    for (int32_t o = 0; o < w->num_outputs; ++o) {                                      \
      const int32_t base = mtvm_reduce_base(w, o);                                      \
      T acc = (INIT);                                                                   \
      int32_t first = w->seed_first;                                                    \
      MTVM_REDUCE_VISIT(w, in, base, T, {                                               \
        if (first) {                                                                    \
          acc = x;                                                                      \
          first = 0;                                                                    \
        } else {                                                                        \
          acc = STEP(acc, x);                                                           \
        }                                                                               \
      });                                                                               \
      out[o] = acc;                                                                     \
    }                                                                                   \
  }

/* ---- SUM, REDUCE_PROD, REDUCE_MAX, REDUCE_MIN (generic; bool is uint8_t 0/1) --------------- */

/* SUM: f32; int32 and int64 wrap (int8 SUM is always requantized: mtvm_reduce_sum_q8). */
void mtvm_reduce_sum_f32(const mtvm_reduce_walk_t* w, const float* in, float* out);
void mtvm_reduce_sum_s32(const mtvm_reduce_walk_t* w, const int32_t* in, int32_t* out);
void mtvm_reduce_sum_s64(const mtvm_reduce_walk_t* w, const int64_t* in, int64_t* out);
void mtvm_reduce_prod_f32(const mtvm_reduce_walk_t* w, const float* in, float* out);
void mtvm_reduce_prod_s32(const mtvm_reduce_walk_t* w, const int32_t* in, int32_t* out);
void mtvm_reduce_prod_s64(const mtvm_reduce_walk_t* w, const int64_t* in, int64_t* out);
/* MAX/MIN compare stored values (int8/int16 need equal input and output quantization). */
void mtvm_reduce_max_f32(const mtvm_reduce_walk_t* w, const float* in, float* out);
void mtvm_reduce_max_s8(const mtvm_reduce_walk_t* w, const int8_t* in, int8_t* out);
void mtvm_reduce_max_s16(const mtvm_reduce_walk_t* w, const int16_t* in, int16_t* out);
void mtvm_reduce_max_s32(const mtvm_reduce_walk_t* w, const int32_t* in, int32_t* out);
void mtvm_reduce_max_s64(const mtvm_reduce_walk_t* w, const int64_t* in, int64_t* out);
void mtvm_reduce_min_f32(const mtvm_reduce_walk_t* w, const float* in, float* out);
void mtvm_reduce_min_s8(const mtvm_reduce_walk_t* w, const int8_t* in, int8_t* out);
void mtvm_reduce_min_s16(const mtvm_reduce_walk_t* w, const int16_t* in, int16_t* out);
void mtvm_reduce_min_s32(const mtvm_reduce_walk_t* w, const int32_t* in, int32_t* out);
void mtvm_reduce_min_s64(const mtvm_reduce_walk_t* w, const int64_t* in, int64_t* out);
/* bool: REDUCE_ANY, and SUM/REDUCE_MAX of bool (a + b and max are OR on bool);
   REDUCE_ALL, and REDUCE_PROD/REDUCE_MIN of bool (AND). */
void mtvm_reduce_any_b(const mtvm_reduce_walk_t* w, const uint8_t* in, uint8_t* out);
void mtvm_reduce_all_b(const mtvm_reduce_walk_t* w, const uint8_t* in, uint8_t* out);

/* ---- Quantized SUM and REDUCE_PROD -------------------------------------------------------- */

typedef struct {
  mtvm_reduce_walk_t walk;
  int32_t input_zero_point;
  int32_t output_zero_point;
  int32_t multiplier; /* QuantizeMultiplier of the Prepare-time real multiplier */
  int32_t shift;
} mtvm_reduce_q_params_t;

/*
 * int8 SUM (with equal or different input and output quantization), exactly as LiteRT 2.x's
 * reference kernel computes it: the int8 bytes are read as uint8 values, summed, then
 * clamp(MBQM(sum - count * input_zero_point) + output_zero_point, 0, 255) is stored as a byte.
 */
void mtvm_reduce_sum_q8(const mtvm_reduce_q_params_t* p, const int8_t* in, int8_t* out);

/*
 * Quantized REDUCE_PROD (QuantizedReduceProd): p = x0 - zp, then p = MBQM64(p * (x - zp)) for
 * every further element, then clamp(MBQM64(p) + output_zero_point). The multiplier rescales by
 * input_scale / output_scale^(1/count) at every step.
 */
void mtvm_reduce_prod_s8(const mtvm_reduce_q_params_t* p, const int8_t* in, int8_t* out);
void mtvm_reduce_prod_s16(const mtvm_reduce_q_params_t* p, const int16_t* in, int16_t* out);

/* TFLite's MultiplyByQuantizedMultiplier(int64_t, ...): the multiplier rounded to 16 bits,
   one rounding shift. shift must be in [-31, 14] (the generator checks it). */
static inline int32_t mtvm_multiply_by_quantized_multiplier_s64(int64_t x, int32_t multiplier, int32_t shift) {
  const int32_t reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
  const int32_t total_shift = 15 - shift;
  const int64_t round = (int64_t)1 << (total_shift - 1);
  return (int32_t)((x * reduced + round) >> total_shift);
}

/* ---- ARG_MAX, ARG_MIN --------------------------------------------------------------------- */

/* The input viewed as [outer, axis_size, inner]; the output [outer, inner] of int32 or int64
   indices. Ties keep the first index (strict comparison, as LiteRT). */
typedef struct {
  int32_t outer;
  int32_t axis_size;
  int32_t inner;
  int32_t index_is_64; /* 1: int64 output, 0: int32 */
} mtvm_arg_minmax_params_t;

void mtvm_arg_max_f32(const mtvm_arg_minmax_params_t* p, const float* in, void* out);
void mtvm_arg_max_s8(const mtvm_arg_minmax_params_t* p, const int8_t* in, void* out);
void mtvm_arg_max_s32(const mtvm_arg_minmax_params_t* p, const int32_t* in, void* out);
void mtvm_arg_max_b(const mtvm_arg_minmax_params_t* p, const uint8_t* in, void* out);
void mtvm_arg_min_f32(const mtvm_arg_minmax_params_t* p, const float* in, void* out);
void mtvm_arg_min_s8(const mtvm_arg_minmax_params_t* p, const int8_t* in, void* out);
void mtvm_arg_min_s32(const mtvm_arg_minmax_params_t* p, const int32_t* in, void* out);
void mtvm_arg_min_b(const mtvm_arg_minmax_params_t* p, const uint8_t* in, void* out);

/* ---- CUMSUM -------------------------------------------------------------------------------- */

/* The input viewed as [outer, depth, inner], summed along depth (LiteRT's CumSum loop). */
typedef struct {
  int32_t outer;
  int32_t depth;
  int32_t inner;
  int32_t exclusive; /* write the running sum before adding the element */
  int32_t reverse;   /* run from the last element of the axis to the first */
} mtvm_cumsum_params_t;

void mtvm_cumsum_f32(const mtvm_cumsum_params_t* p, const float* in, float* out);
void mtvm_cumsum_s32(const mtvm_cumsum_params_t* p, const int32_t* in, int32_t* out);
void mtvm_cumsum_s64(const mtvm_cumsum_params_t* p, const int64_t* in, int64_t* out);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_REDUCTION_H_ */
