/*
 * SignalOverlapAdd, float32 (TFLM signal/src/overlap_add.cc): per row, each input frame is added
 * to the row's accumulator of frame_size samples (one float addition per sample, as TFLM); the
 * first frame_step accumulated samples are output, the rest move down and zeros fill the end.
 * The accumulator is the row's state (zero after a reset: all-zero bytes are 0.0f).
 */
#include <stdint.h>
#include <string.h>

#include "mtvm/signal.h"

void mtvm_signal_overlap_add_f32(const mtvm_signal_overlap_add_params_t* p, const float* input, float* output,
                                 void* state) {
  const int32_t size = p->frame_size, step = p->frame_step;
  for (int32_t row = 0; row < p->rows; ++row) {
    float* acc = (float*)state + (size_t)row * (size_t)size;
    for (int32_t frame = 0; frame < p->n_frames; ++frame) {
      const int32_t index = row * p->n_frames + frame;
      const float* in = input + (size_t)index * (size_t)size;
      for (int32_t i = 0; i < size; ++i) acc[i] += in[i];
      memcpy(output + (size_t)index * (size_t)step, acc, (size_t)step * sizeof(float));
      memmove(acc, acc + step, (size_t)(size - step) * sizeof(float));
      memset(acc + (size - step), 0, (size_t)step * sizeof(float));
    }
  }
}
