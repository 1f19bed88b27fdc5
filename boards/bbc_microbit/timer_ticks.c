/*
 * Tick counter of the BBC micro:bit (nRF51822): TIMER0 as a 32-bit timer at 1 MHz (16 MHz
 * divided by 2^4), read through its capture task. Register offsets from the nRF51 reference
 * manual.
 */
#include <stdint.h>

#include "boards/common/board_internal.h"

#define TIMER0(offset) (*(volatile uint32_t *)(0x40008000u + (offset)))
#define TASKS_START 0x000u
#define TASKS_CAPTURE0 0x040u
#define MODE 0x504u      /* 0: timer */
#define BITMODE 0x508u   /* 3: 32 bits */
#define PRESCALER 0x510u /* f = 16 MHz / 2^PRESCALER */
#define CC0 0x540u

void microtvm_board_ticks_start(void) {
  TIMER0(MODE) = 0u;
  TIMER0(BITMODE) = 3u;
  TIMER0(PRESCALER) = 4u;
  TIMER0(TASKS_START) = 1u; /* starting a running timer changes nothing */
}

uint32_t microtvm_board_ticks(void) {
  TIMER0(TASKS_CAPTURE0) = 1u;
  return TIMER0(CC0);
}
