/*
 * GATHER, GATHER_ND and EMBEDDING_LOOKUP: copies of rows chosen by an index tensor.
 *
 * The generator (tools/microtvm/microtvm/ops/gather.py) reduces each operator to whole rows of
 * bytes, so one kernel serves every element type. Indices are read at run time when they are
 * computed (int16, int32 or int64, `index_bytes` 2, 4 or 8); constant indices are checked at
 * generation time and passed as an int32 array.
 *
 * Out-of-range indices: LiteRT fails the whole inference (TFLite Micro returns an error). These
 * kernels cannot fail, so a row whose index is outside [0, size) is filled with zero bytes
 * (0.0f, integer 0, false), the convention TensorFlow documents for GATHER on GPUs. Negative
 * indices are out of range too, as in LiteRT.
 */
#ifndef MTVM_GATHER_H_
#define MTVM_GATHER_H_

#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Index i of an int16/int32/int64 index tensor. memcpy: the tensor need not be aligned for
   wider loads than its own type, and this compiles to a single load. */
static inline int64_t mtvm_load_index(const void* indices, int32_t i, int32_t index_bytes) {
  const uint8_t* p = (const uint8_t*)indices + (size_t)i * (size_t)index_bytes;
  if (index_bytes == 2) {
    int16_t v;
    memcpy(&v, p, sizeof(v));
    return v;
  }
  if (index_bytes == 4) {
    int32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
  }
  int64_t v;
  memcpy(&v, p, sizeof(v));
  return v;
}

/*
 * GATHER (and EMBEDDING_LOOKUP: batches = outer = 1). The params tensor is viewed as
 * [batches][outer][axis_size][row_bytes] and the indices as [batches][coords]:
 *   output[b][o][i] = params[b][o][indices[b][i]]   (one row of row_bytes bytes)
 * batches is the product of the dimensions before batch_dims, outer of those from batch_dims
 * to the axis, coords of the index dimensions from batch_dims on.
 */
typedef struct {
  int32_t batches;
  int32_t outer;
  int32_t axis_size;
  int32_t coords;
  int32_t row_bytes;
  int32_t index_bytes;
} mtvm_gather_params_t;

void mtvm_gather(const mtvm_gather_params_t* p, const void* params, const void* indices, void* output);

/* Longest index tuple of GATHER_ND. */
#define MTVM_GATHER_ND_MAX_DEPTH 8

/*
 * GATHER_ND: `tuples` index tuples of `depth` values each; tuple t selects the slice of
 * slice_bytes bytes at sum_j indices[t][j] * stride_bytes[j] of params, written to
 * output + t * slice_bytes. dims[j] is the size of params dimension j (for the range check).
 */
typedef struct {
  int32_t tuples;
  int32_t depth;
  int32_t slice_bytes;
  int32_t index_bytes;
  int32_t dims[MTVM_GATHER_ND_MAX_DEPTH];
  int32_t stride_bytes[MTVM_GATHER_ND_MAX_DEPTH];
} mtvm_gather_nd_params_t;

void mtvm_gather_nd(const mtvm_gather_nd_params_t* p, const void* params, const void* indices, void* output);

/*
 * Hybrid EMBEDDING_LOOKUP (gather_hybrid.c): an int8 table (a uint8 one is read as int8, as
 * LiteRT does) of `rows` rows of `cols` values, dequantized to float32 with zero point 0:
 * output[i][j] = table[lookup[i]][j] * scale, scale = row_scales[lookup[i]] for per-row scales,
 * else p->scale (row_scales == NULL). LiteRT multiplies in double and rounds once to float; the
 * exact product fits a double, so one float multiplication gives the same value. An index out
 * of range gives a zero row (see above).
 */
typedef struct {
  int32_t rows;
  int32_t cols;
  int32_t count; /* lookups */
  float scale;
} mtvm_embedding_lookup_hybrid_params_t;

void mtvm_embedding_lookup_hybrid(const mtvm_embedding_lookup_hybrid_params_t* p, const int8_t* table,
                                  const float* row_scales, const int32_t* lookup, float* output);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_GATHER_H_ */
