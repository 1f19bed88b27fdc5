/*
 * SignalStacker (TFLM signal/micro/kernels/stacker.cc over signal/src/circular_buffer.cc): each
 * invocation queues one frame of num_channels values; the first frame after a reset is queued
 * left_context + 1 times (the left padding). Once left + right + 1 frames are queued they are
 * the output (oldest first) and the oldest `step` frames are dropped; until then valid is 0.
 *
 * TFLM's circular buffer holds exactly left + right + 1 frames; the queue never exceeds that
 * because step >= 1 (checked by the generator, with step <= left + right + 1). Here the queue
 * starts at the buffer's start. State: int32 count of queued values, int32 "first frame seen"
 * flag (both 0 after a reset), then the queue.
 */
#include <stdint.h>
#include <string.h>

#include "mtvm/signal.h"

void mtvm_signal_stacker(const mtvm_signal_stacker_params_t* p, const int16_t* input, int16_t* output, uint8_t* valid,
                         void* state) {
  const int32_t frame = p->num_channels;
  const int32_t size = frame * (p->left_context + p->right_context + 1);
  int32_t header[2]; /* queued values, first frame seen */
  int16_t* queue = (int16_t*)((uint8_t*)state + sizeof(header));
  memcpy(header, state, sizeof(header));
  memcpy(queue + header[0], input, (size_t)frame * sizeof(int16_t));
  header[0] += frame;
  if (!header[1]) {
    for (int32_t i = 0; i < p->left_context; ++i) {
      memcpy(queue + header[0], input, (size_t)frame * sizeof(int16_t));
      header[0] += frame;
    }
    header[1] = 1;
  }
  if (header[0] >= size) {
    const int32_t dropped = p->step * frame;
    memcpy(output, queue, (size_t)size * sizeof(int16_t));
    header[0] -= dropped;
    memmove(queue, queue + dropped, (size_t)header[0] * sizeof(int16_t));
    *valid = 1;
  } else {
    memset(output, 0, (size_t)size * sizeof(int16_t));
    *valid = 0;
  }
  memcpy(state, header, sizeof(header));
}
