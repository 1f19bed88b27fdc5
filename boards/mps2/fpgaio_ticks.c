/*
 * Tick counter of the MPS2 boards: the FPGAIO COUNTER register, which always runs (at 25 MHz on
 * AN385/AN386/AN500, 20 MHz on AN505). MPS2_COUNTER_ADDR is defined per board in
 * //boards:BUILD.bazel.
 */
#include <stdint.h>

#include "boards/common/board_internal.h"

void microtvm_board_ticks_start(void) {}

uint32_t microtvm_board_ticks(void) { return *(volatile const uint32_t *)(MPS2_COUNTER_ADDR); }
