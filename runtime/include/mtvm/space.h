/*
 * DEPTH_TO_SPACE, SPACE_TO_DEPTH, BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND and MIRROR_PAD.
 *
 * The first four are strided copies planned at generation time
 * (tools/microtvm/microtvm/ops/space.py) and run by mtvm_strided_copy (mtvm/movement.h):
 * SPACE_TO_BATCH_ND first fills its output with the padding byte (mtvm_fill_bytes), then copies
 * one block per position inside the spatial block. MIRROR_PAD reads each output element from a
 * per-dimension table of source offsets (mtvm_mirror_pad). Element size is irrelevant to these
 * kernels: offsets, strides and runs are in bytes.
 */
#ifndef MTVM_SPACE_H_
#define MTVM_SPACE_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Set `size` bytes of `dst` to `value` (0..255): the padding of SPACE_TO_BATCH_ND, an int8
   output's zero point or the all-zero bytes of 0.0f, 0 and false. */
static inline void mtvm_fill_bytes(void* dst, int32_t value, int32_t size) {
  memset(dst, value, (size_t)size);
}

/* Largest loop nest of MIRROR_PAD (the input rank, less dimensions merged into a run). */
#define MTVM_MIRROR_PAD_MAX_RANK 8

/*
 * MIRROR_PAD as a separable table-driven copy: for every output index (i_0, ..., i_{rank-1})
 * below `shape`, in memory order, copy `run_bytes` bytes from
 *   src + offsets[table_start[0] + i_0] + ... + offsets[table_start[rank-1] + i_{rank-1}]
 * to the next `run_bytes` bytes of dst. offsets[table_start[k] + i] is the byte offset in the
 * input of the row that output index i of dimension k mirrors (REFLECT or SYMMETRIC), computed
 * by the generator. Innermost dimensions without padding form the run.
 */
typedef struct {
  int32_t rank;
  int32_t run_bytes;
  int32_t shape[MTVM_MIRROR_PAD_MAX_RANK];
  int32_t table_start[MTVM_MIRROR_PAD_MAX_RANK];
} mtvm_mirror_pad_params_t;

void mtvm_mirror_pad(const mtvm_mirror_pad_params_t* params, const int32_t* offsets, const void* src, void* dst);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_SPACE_H_ */
