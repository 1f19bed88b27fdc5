/*
 * SignalEnergy (TFLM signal/src/energy.cc): the power re^2 + im^2 of each int16 complex bin in
 * [start_index, end_index), computed in int32 (at most 2^31, which TFLM stores to uint32; here
 * the sum is formed in uint32 so 2 * (-32768)^2 does not overflow a signed int).
 */
#include <stdint.h>

#include "mtvm/signal.h"

void mtvm_signal_energy(const mtvm_signal_energy_params_t* p, const int16_t* input, uint32_t* output) {
  for (int32_t i = 0; i < p->size; ++i) {
    if (i >= p->start_index && i < p->end_index) {
      const int32_t re = input[2 * i];
      const int32_t im = input[2 * i + 1];
      output[i] = (uint32_t)(re * re) + (uint32_t)(im * im);
    } else {
      output[i] = 0;
    }
  }
}
