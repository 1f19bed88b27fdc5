/*
 * SignalOverlapAdd, int16 (TFLM signal/src/overlap_add.cc): per row, each input frame is added
 * to the row's accumulator of frame_size samples, saturating to int16 (the sum formed in int32);
 * the first frame_step accumulated samples are output, the rest move down and zeros fill the
 * end. The accumulator is the row's state (zero after a reset).
 */
#include <stdint.h>
#include <string.h>

#include "mtvm/signal.h"

void mtvm_signal_overlap_add_s16(const mtvm_signal_overlap_add_params_t* p, const int16_t* input, int16_t* output,
                                 void* state) {
  const int32_t size = p->frame_size, step = p->frame_step;
  for (int32_t row = 0; row < p->rows; ++row) {
    int16_t* acc = (int16_t*)state + (size_t)row * (size_t)size;
    for (int32_t frame = 0; frame < p->n_frames; ++frame) {
      const int32_t index = row * p->n_frames + frame;
      const int16_t* in = input + (size_t)index * (size_t)size;
      for (int32_t i = 0; i < size; ++i) {
        const int32_t sum = (int32_t)in[i] + (int32_t)acc[i];
        acc[i] = (int16_t)(sum < INT16_MIN ? INT16_MIN : sum > INT16_MAX ? INT16_MAX : sum);
      }
      memcpy(output + (size_t)index * (size_t)step, acc, (size_t)step * sizeof(int16_t));
      memmove(acc, acc + step, (size_t)(size - step) * sizeof(int16_t));
      memset(acc + (size - step), 0, (size_t)step * sizeof(int16_t));
    }
  }
}
