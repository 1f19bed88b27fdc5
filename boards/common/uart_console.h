/* The two functions a hardware board's UART driver provides to uart_console.c. */
#ifndef MICROTVM_UART_CONSOLE_H_
#define MICROTVM_UART_CONSOLE_H_

/* Clocks, pins and baud rate (115200 8N1) of the UART wired to the ST-LINK virtual COM port. */
void microtvm_uart_init(void);

/* Sends one byte, waiting until the transmitter can take it. */
void microtvm_uart_putc(char c);

#endif /* MICROTVM_UART_CONSOLE_H_ */
