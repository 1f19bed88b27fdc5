/* Hooks between the shared board code and each board's own (not for firmware). */
#ifndef MICROTVM_BOARD_INTERNAL_H_
#define MICROTVM_BOARD_INTERNAL_H_

#include <stdint.h>

/* Makes stdout/stderr usable: opens the semihosting handles or configures the UART. Called by
 * the reset handler before main() and before any C++ constructor. */
void microtvm_board_console_init(void);

/* QEMU boards: a free-running tick counter at MICROTVM_TICKS_HZ of QEMU's virtual clock, for
 * icount_counter.c. _start() is called before each measurement and may be called again. */
void microtvm_board_ticks_start(void);
uint32_t microtvm_board_ticks(void);

#endif /* MICROTVM_BOARD_INTERNAL_H_ */
