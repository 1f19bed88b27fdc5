/*
 * STM32F746G-DISCO console: USART1, TX on PA9 (alternate function 7), wired to the ST-LINK
 * virtual COM port. Polled, 115200 8N1, from the 16 MHz HSI clock the chip runs on after reset
 * (APB2 prescaler 1). Register addresses from the STM32F7 reference manual (RM0385).
 * Not yet tried on a board: the QEMU boards are what CI runs.
 */
#include <stdint.h>

#include "boards/common/uart_console.h"

#define REG(address) (*(volatile uint32_t *)(address))

#define RCC_AHB1ENR REG(0x40023830u)
#define RCC_AHB1ENR_GPIOAEN (1u << 0)
#define RCC_APB2ENR REG(0x40023844u)
#define RCC_APB2ENR_USART1EN (1u << 4)

#define GPIOA_MODER REG(0x40020000u)
#define GPIOA_AFRH REG(0x40020024u)

#define USART1_CR1 REG(0x40011000u)
#define USART1_BRR REG(0x4001100Cu)
#define USART1_ISR REG(0x4001101Cu)
#define USART1_TDR REG(0x40011028u)
#define USART_CR1_UE (1u << 0)
#define USART_CR1_TE (1u << 3)
#define USART_ISR_TXE (1u << 7)

#define UART_CLOCK_HZ 16000000u
#define BAUD 115200u

void microtvm_uart_init(void) {
  RCC_AHB1ENR |= RCC_AHB1ENR_GPIOAEN;
  RCC_APB2ENR |= RCC_APB2ENR_USART1EN;
  (void)RCC_APB2ENR; /* read back: the clock is on before the peripheral is touched */
  /* PA9: alternate function mode, AF7 (USART1_TX). */
  GPIOA_MODER = (GPIOA_MODER & ~(3u << 18)) | (2u << 18);
  GPIOA_AFRH = (GPIOA_AFRH & ~(0xFu << 4)) | (7u << 4);
  USART1_BRR = (UART_CLOCK_HZ + BAUD / 2u) / BAUD;
  USART1_CR1 = USART_CR1_TE | USART_CR1_UE;
}

void microtvm_uart_putc(char c) {
  while ((USART1_ISR & USART_ISR_TXE) == 0u) {
  }
  USART1_TDR = (uint8_t)c;
}
