/*
 * ONE_HOT (tools/microtvm/microtvm/ops/one_hot.py): the output is the indices' shape with a
 * dimension of `depth` inserted at the axis. Viewing the indices as [outer][inner] (outer: the
 * dimensions before the axis) and the output as [outer][depth][inner]:
 *   output[o][d][i] = (int)indices[o][i] == d ? on_value : off_value
 * as LiteRT's one_hot.cc computes it: an int64 index is first truncated to int (its low 32 bits),
 * so an index outside [0, depth) (negative ones included) gives a row of off_value.
 * on_value and off_value are one-element tensors of the output's type, read at run time; the
 * kernel copies their bytes (`value_bytes` per element), so it serves every element type.
 */
#ifndef MTVM_ONE_HOT_H_
#define MTVM_ONE_HOT_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t outer;
  int32_t depth;
  int32_t inner;
  int32_t index_bytes; /* 4: int32 indices, 8: int64 */
  int32_t value_bytes; /* bytes of one output element */
} mtvm_one_hot_params_t;

void mtvm_one_hot(const mtvm_one_hot_params_t* p, const void* indices, const void* on_value,
                  const void* off_value, void* output);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_ONE_HOT_H_ */
