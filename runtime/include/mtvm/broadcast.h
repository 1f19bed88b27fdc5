/*
 * Broadcasting walks shared by every operator that combines tensors of different shapes
 * (ADD/SUB/MUL/... in mtvm/elementwise.h, DIV/FLOOR_DIV/PRELU/... in mtvm/arith.h, comparisons
 * and SELECT_V2 in mtvm/compare.h).
 *
 * The generator (tools/microtvm/microtvm/ops/elementwise.py, broadcast_plan) merges adjacent
 * dimensions along which every input is either full or broadcast and drops unit dimensions, so
 * the walk is an odometer over at most MTVM_BCAST_MAX_DIMS merged dimensions with a plain inner
 * loop along the last one. Each output element's operands are read before that element is
 * written, in output order.
 */
#ifndef MTVM_BROADCAST_H_
#define MTVM_BROADCAST_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest number of dimensions a broadcast keeps after the generator merged adjacent ones. */
#define MTVM_BCAST_MAX_DIMS 6

/*
 * How two inputs map onto the output of a binary operator.
 * rank == 0: both inputs have the output's element count and layout; one flat loop.
 * rank >= 1: `shape` are the output extents (outermost first) after merging dimensions, and
 * `stride1`/`stride2` the element strides of each input along them (0 where it is broadcast).
 */
typedef struct {
  int32_t rank;
  int32_t shape[MTVM_BCAST_MAX_DIMS];
  int32_t stride1[MTVM_BCAST_MAX_DIMS];
  int32_t stride2[MTVM_BCAST_MAX_DIMS];
} mtvm_bcast_t;

/* The same for three inputs (SELECT_V2: condition, then-values, else-values). */
typedef struct {
  int32_t rank;
  int32_t shape[MTVM_BCAST_MAX_DIMS];
  int32_t stride[3][MTVM_BCAST_MAX_DIMS];
} mtvm_bcast3_t;

/*
 * Advances the input offsets to the next run of the innermost dimension: an odometer over the
 * outer dimensions (index[] holds the position in each). `count` inputs, offsets in off[].
 */
static inline void mtvm_bcast_advance(int32_t rank, const int32_t* shape, const int32_t* const* strides,
                                      int32_t count, int32_t* index, int32_t* off) {
  for (int32_t d = rank - 2; d >= 0; --d) {
    index[d] += 1;
    for (int32_t k = 0; k < count; ++k) {
      off[k] += strides[k][d];
    }
    if (index[d] < shape[d]) {
      return;
    }
    /* This dimension wrapped around: rewind it and carry into the next outer one. */
    for (int32_t k = 0; k < count; ++k) {
      off[k] -= strides[k][d] * shape[d];
    }
    index[d] = 0;
  }
}

/*
 * Defines `void NAME(const PARAMS* p, const TA* in1, const TB* in2, TO* out)` storing
 * ELEM(p, a, b) for every output element. PARAMS must have `int32_t size` (output elements)
 * and `mtvm_bcast_t bcast`. A macro rather than a function pointer so that ELEM is inlined.
 */
#define MTVM_DEFINE_BCAST_BINARY(NAME, TA, TB, TO, PARAMS, ELEM)                              \
  void NAME(const PARAMS* p, const TA* in1, const TB* in2, TO* out) {                         \
    if (p->bcast.rank == 0) {                                                                  \
      for (int32_t i = 0; i < p->size; ++i) {                                                  \
        out[i] = ELEM(p, in1[i], in2[i]);                                                      \
      }                                                                                        \
      return;                                                                                  \
    }                                                                                          \
    const mtvm_bcast_t* b = &p->bcast;                                                         \
    const int32_t last = b->rank - 1;                                                          \
    const int32_t inner = b->shape[last];                                                      \
    const int32_t step1 = b->stride1[last];                                                    \
    const int32_t step2 = b->stride2[last];                                                    \
    const int32_t* const strides[2] = {b->stride1, b->stride2};                                \
    int32_t index[MTVM_BCAST_MAX_DIMS] = {0};                                                  \
    int32_t off[2] = {0, 0};                                                                   \
    for (int32_t o = 0; o < p->size; o += inner) {                                             \
      for (int32_t i = 0; i < inner; ++i) {                                                    \
        out[o + i] = ELEM(p, in1[off[0] + i * step1], in2[off[1] + i * step2]);                \
      }                                                                                        \
      mtvm_bcast_advance(b->rank, b->shape, strides, 2, index, off);                           \
    }                                                                                          \
  }

#ifdef __cplusplus
}
#endif

#endif /* MTVM_BROADCAST_H_ */
