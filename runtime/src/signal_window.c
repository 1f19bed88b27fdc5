/*
 * SignalWindow (TFLM signal/src/window.cc): each frame of window_size samples times the int16
 * window, the int32 product shifted right (arithmetic, as TFLM's >> on int32) and saturated to
 * int16.
 */
#include <stdint.h>

#include "mtvm/signal.h"

void mtvm_signal_window_s16(const mtvm_signal_window_params_t* p, const int16_t* input, const int16_t* weights,
                            int16_t* output) {
  const int32_t n = p->window_size;
  for (int32_t f = 0; f < p->frames; ++f) {
    const int16_t* in = input + (size_t)f * (size_t)n;
    int16_t* out = output + (size_t)f * (size_t)n;
    for (int32_t i = 0; i < n; ++i) {
      const int32_t raw = ((int32_t)in[i] * (int32_t)weights[i]) >> p->shift;
      out[i] = (int16_t)(raw < INT16_MIN ? INT16_MIN : (raw > INT16_MAX ? INT16_MAX : raw));
    }
  }
}
