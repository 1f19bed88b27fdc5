/*
 * Console of the QEMU boards: Arm semihosting, through newlib's librdimon (--specs=rdimon.specs),
 * which implements _write, _exit and friends with semihosting calls. QEMU prints the output on
 * its own stdout/stderr and exits with the code the firmware passes to exit().
 */
#include "boards/common/board_internal.h"

extern void initialise_monitor_handles(void);

void microtvm_board_console_init(void) { initialise_monitor_handles(); }
