/*
 * Cost measurement on the QEMU boards, from a hardware tick counter of the emulated board.
 *
 * QEMU models neither cycles nor the DWT cycle counter, but with `-icount shift=0,sleep=off`
 * its virtual clock advances exactly 1 ns per guest instruction, and the board's counter
 * (microtvm_board_ticks) counts that clock at MICROTVM_TICKS_HZ: one tick every
 * INSTRUCTIONS_PER_TICK instructions (40 at 25 MHz). To measure finer than a tick we start
 * right on a tick edge and, after the work, count the iterations of a spin loop until the next
 * edge; each iteration costs a known number of instructions, calibrated over many ticks. Where
 * in the spin loop the edges fall is not known, so a result is exact to within one spin
 * iteration at each end (a few instructions, e.g. +-5); a given firmware measuring the same
 * work at the same point repeats exactly.
 */
#include <stdint.h>

#include "boards/common/board_internal.h"
#include "microtvm_board.h"

#define INSTRUCTIONS_PER_TICK (1000000000u / (MICROTVM_TICKS_HZ))
#define CALIBRATION_TICKS 64u

/* Spins until the counter has moved `ticks` past `from`; returns the number of iterations.
 * Used both to calibrate and to measure, so both see the same loop. */
__attribute__((noinline)) static uint32_t spin(uint32_t from, uint32_t ticks) {
  uint32_t iterations = 0;
  while ((uint32_t)(microtvm_board_ticks() - from) < ticks) {
    ++iterations;
  }
  return iterations;
}

/* Instructions per spin iteration: an integer, so rounding the average over many ticks (the
 * edges add at most one iteration of error) gives it exactly. */
static uint32_t instructions_per_iteration(void) {
  uint32_t from = microtvm_board_ticks();
  spin(from, 1); /* start on an edge */
  from = microtvm_board_ticks();
  uint32_t iterations = spin(from, CALIBRATION_TICKS);
  uint32_t instructions = CALIBRATION_TICKS * INSTRUCTIONS_PER_TICK;
  return (instructions + iterations / 2u) / iterations;
}

/* Instructions from the tick edge before fn to the tick edge after it, minus the spinning. */
static uint64_t edge_to_edge(void (*fn)(void *), void *arg, uint32_t per_iteration) {
  uint32_t start = microtvm_board_ticks();
  spin(start, 1);
  start = microtvm_board_ticks();
  fn(arg);
  uint32_t end = microtvm_board_ticks();
  uint32_t iterations = spin(end, 1);
  end += 1u;
  return (uint64_t)(uint32_t)(end - start) * INSTRUCTIONS_PER_TICK -
         (uint64_t)iterations * per_iteration;
}

static void nothing(void *arg) { (void)arg; }

uint64_t microtvm_board_measure(void (*fn)(void *arg), void *arg) {
  microtvm_board_ticks_start();
  uint32_t per_iteration = instructions_per_iteration();
  uint64_t overhead = edge_to_edge(nothing, 0, per_iteration);
  uint64_t total = edge_to_edge(fn, arg, per_iteration);
  return total > overhead ? total - overhead : 0;
}

const char *microtvm_board_measure_unit(void) { return "instructions"; }
