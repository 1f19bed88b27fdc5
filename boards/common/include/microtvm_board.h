/*
 * What every rules_microtvm board gives firmware, besides a working C library:
 *   - main() is called after the C runtime is set up (.data copied, .bss zeroed, FPU on), and
 *     its return value is the firmware's exit code (QEMU exits with it; hardware boards print
 *     it on the console and stop);
 *   - stdout/stderr (printf, puts) go to the board's console: semihosting on the QEMU boards,
 *     the ST-LINK virtual COM port UART (115200 8N1) on the hardware boards;
 *   - a way to measure what a piece of code costs (below).
 */
#ifndef MICROTVM_BOARD_H_
#define MICROTVM_BOARD_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Exit code of a firmware that took a fault (HardFault, BusFault, ...). */
#define MICROTVM_BOARD_EXIT_FAULT 101

/* The board's name as in //boards, e.g. "mps2_an386". */
const char *microtvm_board_name(void);

/* Runs fn(arg) and returns its cost, not counting the cost of measuring.
 * QEMU boards: guest instructions, to within a few (+-5 or so) when QEMU runs with
 * `-icount shift=0,sleep=off` as microtvm_qemu_run/microtvm_qemu_test do, and identical from
 * run to run. Instructions are not cycles: an SMLAD or an 8-register LDM counts as one.
 * Hardware boards: core clock cycles (DWT cycle counter). */
uint64_t microtvm_board_measure(void (*fn)(void *arg), void *arg);

/* What microtvm_board_measure counts: "instructions" or "cycles". */
const char *microtvm_board_measure_unit(void);

#ifdef __cplusplus
}
#endif

#endif /* MICROTVM_BOARD_H_ */
