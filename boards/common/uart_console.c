/*
 * Console of the hardware boards: newlib's system calls on top of a polled UART. stdout and
 * stderr go to the UART (with \n sent as \r\n for terminal programs); exit() prints the exit
 * code and stops the core. Replaces libnosys, whose stubs would only warn at link time.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "boards/common/board_internal.h"
#include "uart_console.h"

void microtvm_board_console_init(void) { microtvm_uart_init(); }

static void uart_puts(const char *s) {
  while (*s != '\0') {
    microtvm_uart_putc(*s++);
  }
}

int _write(int fd, const char *data, int length) {
  if (fd != 1 && fd != 2) {
    errno = EBADF;
    return -1;
  }
  for (int i = 0; i < length; ++i) {
    if (data[i] == '\n') {
      microtvm_uart_putc('\r');
    }
    microtvm_uart_putc(data[i]);
  }
  return length;
}

__attribute__((noreturn)) void _exit(int code) {
  /* Decimal without printf: exit() may be called with stdio in any state. */
  char digits[12];
  char *p = digits + sizeof(digits) - 1;
  unsigned magnitude = code < 0 ? 0u - (unsigned)code : (unsigned)code;
  *p = '\0';
  do {
    *--p = (char)('0' + magnitude % 10u);
    magnitude /= 10u;
  } while (magnitude != 0u);
  if (code < 0) {
    *--p = '-';
  }
  uart_puts("\r\n[microtvm] exit ");
  uart_puts(p);
  uart_puts("\r\n");
  for (;;) {
    __asm volatile("bkpt #0\n\twfi");
  }
}

/* The heap is the .heap section that sections.ld reserves (newlib's stdio buffers need it). */
extern char __heap_start__[], __heap_limit__[];

void *_sbrk(ptrdiff_t increment) {
  static char *heap_end = __heap_start__;
  if (increment > __heap_limit__ - heap_end || increment < __heap_start__ - heap_end) {
    errno = ENOMEM;
    return (void *)-1;
  }
  char *previous = heap_end;
  heap_end += increment;
  return previous;
}

/* No files: only the console, which is a terminal. */
int _close(int fd) {
  (void)fd;
  errno = EBADF;
  return -1;
}

int _fstat(int fd, struct stat *st) {
  (void)fd;
  st->st_mode = S_IFCHR;
  return 0;
}

int _isatty(int fd) { return fd >= 0 && fd <= 2; }

int _lseek(int fd, int offset, int whence) {
  (void)fd;
  (void)offset;
  (void)whence;
  errno = ESPIPE;
  return -1;
}

int _read(int fd, char *data, int length) {
  (void)fd;
  (void)data;
  (void)length;
  return 0; /* end of file: the console is output only */
}

int _getpid(void) { return 1; }

int _kill(int pid, int signal) {
  (void)pid;
  _exit(128 + signal);
}
