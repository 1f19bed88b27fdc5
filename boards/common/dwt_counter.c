/*
 * Cost measurement on hardware boards: the core's cycle counter (DWT CYCCNT, present on the
 * Cortex-M3/M4/M7/M33 cores of our hardware boards).
 */
#include <stdint.h>

#include "microtvm_board.h"

#define DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define DWT_CTRL_CYCCNTENA 1u
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)
#define DWT_LAR (*(volatile uint32_t *)0xE0001FB0u) /* Cortex-M7: write-locked until unlocked */
#define DWT_LAR_KEY 0xC5ACCE55u

static void nothing(void *arg) { (void)arg; }

static uint32_t raw_cycles(void (*fn)(void *), void *arg) {
  uint32_t start = DWT_CYCCNT;
  fn(arg);
  return DWT_CYCCNT - start;
}

uint64_t microtvm_board_measure(void (*fn)(void *arg), void *arg) {
  DEMCR |= DEMCR_TRCENA;
  DWT_LAR = DWT_LAR_KEY;
  DWT_CTRL |= DWT_CTRL_CYCCNTENA;
  uint32_t overhead = raw_cycles(nothing, 0);
  uint32_t cycles = raw_cycles(fn, arg);
  return cycles > overhead ? cycles - overhead : 0;
}

const char *microtvm_board_measure_unit(void) { return "cycles"; }
