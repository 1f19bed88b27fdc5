/*
 * SignalDelay (TFLM signal/micro/kernels/delay.cc): each row of the input (its innermost
 * dimension) is a stream delayed by delay_length samples, zeros first after a reset. TFLM queues
 * the frame behind delay_length pending samples in a circular buffer and takes the oldest
 * frame_size out; here the pending samples are the row's state: output = (pending, input)[0 ..
 * frame_size), pending = (pending, input)[frame_size ..].
 */
#include <stdint.h>
#include <string.h>

#include "mtvm/signal.h"

void mtvm_signal_delay(const mtvm_signal_delay_params_t* p, const int16_t* input, int16_t* output, void* state) {
  const int32_t n = p->frame_size, d = p->delay_length;
  for (int32_t row = 0; row < p->rows; ++row) {
    const int16_t* in = input + (size_t)row * (size_t)n;
    int16_t* out = output + (size_t)row * (size_t)n;
    int16_t* pending = (int16_t*)state + (size_t)row * (size_t)d;
    if (d <= n) {
      memcpy(out, pending, (size_t)d * sizeof(int16_t));
      memcpy(out + d, in, (size_t)(n - d) * sizeof(int16_t));
      memcpy(pending, in + (n - d), (size_t)d * sizeof(int16_t));
    } else {
      memcpy(out, pending, (size_t)n * sizeof(int16_t));
      memmove(pending, pending + n, (size_t)(d - n) * sizeof(int16_t));
      memcpy(pending + (d - n), in, (size_t)n * sizeof(int16_t));
    }
  }
}
