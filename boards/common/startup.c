/*
 * Vector table and reset handler shared by all boards (Armv6-M, Armv7-M and Armv8-M mainline).
 *
 * The reset handler does what a hosted C runtime would have done before main(): turn the FPU on
 * (where the core has one), copy initial values of .data from flash to RAM, zero .bss (not .noinit), set up
 * the console, run constructors, then exit(main()). The symbols it uses come from
 * //boards:common/sections.ld.
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "boards/common/board_internal.h"
#include "microtvm_board.h"

extern uint32_t __data_load__[], __data_start__[], __data_end__[];
extern uint32_t __bss_start__[], __bss_end__[];
extern uint32_t __stack_limit__[], __stack_top__[];

extern int main(void);
extern void __libc_init_array(void);

/* __libc_init_array calls these; crti.o/crtn.o would provide them but -nostartfiles drops them. */
void _init(void) {}
void _fini(void) {}

void microtvm_reset_handler(void);

/* Any fault: say so on the console and exit with a recognisable code, instead of hanging the
 * emulator until the test times out. */
static void fault_handler(void) {
  static const char message[] = "\nmicrotvm: fault (HardFault/MemManage/BusFault/UsageFault)\n";
  (void)write(2, message, sizeof(message) - 1);
  _exit(MICROTVM_BOARD_EXIT_FAULT);
}

/* Interrupts are never enabled by the boards, so only the core exceptions need entries. */
static void unexpected_exception(void) { fault_handler(); }

typedef void (*vector_t)(void);

__attribute__((section(".isr_vector"), used)) static const vector_t vector_table[16] = {
    (vector_t)__stack_top__,  /* initial main stack pointer */
    microtvm_reset_handler,   /* Reset */
    unexpected_exception,     /* NMI */
    fault_handler,            /* HardFault */
    fault_handler,            /* MemManage */
    fault_handler,            /* BusFault */
    fault_handler,            /* UsageFault */
    fault_handler,            /* SecureFault (Armv8-M) */
    0, 0, 0,                  /* reserved */
    unexpected_exception,     /* SVCall */
    unexpected_exception,     /* DebugMonitor */
    0,                        /* reserved */
    unexpected_exception,     /* PendSV */
    unexpected_exception,     /* SysTick */
};

/* Keep GCC from turning the copy loops into memcpy/memset calls: nothing else has run yet. */
__attribute__((optimize("no-tree-loop-distribute-patterns"), noreturn)) void
microtvm_reset_handler(void) {
#if defined(__ARM_FP)
  /* CPACR: full access to coprocessors 10 and 11 (the FPU) before any float instruction. */
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
  __asm volatile("dsb\n\tisb" ::: "memory");
#endif
#if defined(__ARM_ARCH_8M_MAIN__)
  /* Armv8-M checks the stack pointer in hardware: a stack overflow faults instead of silently
   * overwriting the heap and .bss below it. */
  __asm volatile("msr msplim, %0" ::"r"(__stack_limit__));
#endif
  for (uint32_t *src = __data_load__, *dst = __data_start__; dst < __data_end__;) {
    *dst++ = *src++;
  }
  for (uint32_t *dst = __bss_start__; dst < __bss_end__;) {
    *dst++ = 0;
  }
  microtvm_board_console_init();
  __libc_init_array();
  exit(main());
}
