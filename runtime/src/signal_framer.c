/*
 * SignalFramer (TFLM signal/micro/kernels/framer.cc over signal/src/circular_buffer.cc): each
 * row of the input is a stream of samples; each frame_step new samples are queued and, once
 * frame_size samples are queued, the oldest frame_size form an output frame and the oldest
 * frame_step are dropped. TFLM's queue is a circular buffer of capacity frame_size rounded up to
 * a multiple of frame_step, reset to empty or, with prefill, to frame_size - frame_step zeros.
 *
 * The queue never holds more than that capacity: before a write it holds fewer than frame_size
 * samples (a full frame is always taken at once), and either exactly the prefill (then every
 * frame is complete) or a multiple of frame_step. Here the queue starts at the buffer's start;
 * the count kept in the state is the number queued beyond the prefill, so a reset state is all
 * zero bytes, and all rows hold the same count (they receive the same numbers of samples).
 */
#include <stdint.h>
#include <string.h>

#include "mtvm/signal.h"

void mtvm_signal_framer(const mtvm_signal_framer_params_t* p, const int16_t* input, int16_t* output, uint8_t* valid,
                        void* state) {
  const int32_t capacity = mtvm_signal_framer_capacity(p);
  int32_t extra, queued = 0;
  memcpy(&extra, state, sizeof(extra));
  *valid = 1;
  for (int32_t row = 0; row < p->rows; ++row) {
    int16_t* queue = (int16_t*)((uint8_t*)state + sizeof(int32_t)) + (size_t)row * (size_t)capacity;
    queued = p->prefill + extra;
    for (int32_t frame = 0; frame < p->n_frames; ++frame) {
      const int32_t index = row * p->n_frames + frame;
      int16_t* out = output + (size_t)index * (size_t)p->frame_size;
      memcpy(queue + queued, input + (size_t)index * (size_t)p->frame_step, (size_t)p->frame_step * sizeof(int16_t));
      queued += p->frame_step;
      if (queued >= p->frame_size) {
        memcpy(out, queue, (size_t)p->frame_size * sizeof(int16_t));
        queued -= p->frame_step;
        memmove(queue, queue + p->frame_step, (size_t)queued * sizeof(int16_t));
      } else {
        *valid = 0;
        memset(out, 0, (size_t)p->frame_size * sizeof(int16_t));
      }
    }
  }
  extra = queued - p->prefill;
  memcpy(state, &extra, sizeof(extra));
}
