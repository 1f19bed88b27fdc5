#include "microtvm_board.h"

/* MICROTVM_BOARD_NAME is defined by each board's support library in //boards:BUILD.bazel. */
const char *microtvm_board_name(void) { return MICROTVM_BOARD_NAME; }
