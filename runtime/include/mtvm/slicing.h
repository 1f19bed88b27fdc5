/*
 * SLICE, SPLIT, SPLIT_V, PACK, UNPACK, REVERSE_V2 and DYNAMIC_UPDATE_SLICE.
 *
 * All but DYNAMIC_UPDATE_SLICE are strided copies planned at generation time
 * (tools/microtvm/microtvm/ops/slicing.py) and run by mtvm_strided_copy (mtvm/movement.h).
 * DYNAMIC_UPDATE_SLICE reads its start indices at run time, so its destination offset is
 * computed here; everything else about the copy is precomputed. Element size is irrelevant to
 * these kernels: offsets and strides are in bytes.
 */
#ifndef MTVM_SLICING_H_
#define MTVM_SLICING_H_

#include <stdint.h>

#include "mtvm/movement.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest operand rank of DYNAMIC_UPDATE_SLICE. */
#define MTVM_UPDATE_SLICE_MAX_RANK 8

typedef struct {
  int32_t rank;
  int32_t operand_bytes; /* size of the operand (and of the output) */
  int32_t index_bytes;   /* 4 (int32 start indices) or 8 (int64) */
  /* Per dimension: operand size minus update size, the largest start TFLite allows (it clamps
     every start index into [0, max_start]), and the operand's stride in bytes. */
  int32_t max_start[MTVM_UPDATE_SLICE_MAX_RANK];
  int32_t stride_bytes[MTVM_UPDATE_SLICE_MAX_RANK];
  /* The copy of the whole update into the operand's layout, at destination offset 0. */
  mtvm_copy_params_t update;
} mtvm_dynamic_update_slice_params_t;

/* output = operand with `update` written at the clamped start `indices`. The output may overlap
   the operand (the operand is moved first, with memmove); `update` and `indices` must not
   overlap the output. */
void mtvm_dynamic_update_slice(const mtvm_dynamic_update_slice_params_t* params, const void* operand,
                               const void* update, const void* indices, void* output);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_SLICING_H_ */
