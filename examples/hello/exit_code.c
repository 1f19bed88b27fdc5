/* Exits with a code other than 0, to test that QEMU runs pass the firmware's exit code on. */
#include <stdio.h>

int main(void) {
  printf("exiting with 42\n");
  return 42;
}
