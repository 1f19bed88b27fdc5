/*
 * NUCLEO-L4R5ZI console: LPUART1, TX on PG7 (alternate function 8), wired to the ST-LINK
 * virtual COM port. Port G is powered from VDDIO2, which must be declared valid first. Polled,
 * 115200 8N1, from the 4 MHz MSI clock the chip runs on after reset (LPUART1 clocked from
 * PCLK1). Register addresses from the STM32L4+ reference manual (RM0432).
 * Not yet tried on a board: the QEMU boards are what CI runs.
 */
#include <stdint.h>

#include "boards/common/uart_console.h"

#define REG(address) (*(volatile uint32_t *)(address))

#define RCC_AHB2ENR REG(0x4002104Cu)
#define RCC_AHB2ENR_GPIOGEN (1u << 6)
#define RCC_APB1ENR1 REG(0x40021058u)
#define RCC_APB1ENR1_PWREN (1u << 28)
#define RCC_APB1ENR2 REG(0x4002105Cu)
#define RCC_APB1ENR2_LPUART1EN (1u << 0)

#define PWR_CR2 REG(0x40007004u)
#define PWR_CR2_IOSV (1u << 9)

#define GPIOG_MODER REG(0x48001800u)
#define GPIOG_AFRL REG(0x48001820u)

#define LPUART1_CR1 REG(0x40008000u)
#define LPUART1_BRR REG(0x4000800Cu)
#define LPUART1_ISR REG(0x4000801Cu)
#define LPUART1_TDR REG(0x40008028u)
#define USART_CR1_UE (1u << 0)
#define USART_CR1_TE (1u << 3)
#define USART_ISR_TXE (1u << 7)

#define UART_CLOCK_HZ 4000000u
#define BAUD 115200u

void microtvm_uart_init(void) {
  RCC_APB1ENR1 |= RCC_APB1ENR1_PWREN;
  (void)RCC_APB1ENR1;
  PWR_CR2 |= PWR_CR2_IOSV;
  RCC_AHB2ENR |= RCC_AHB2ENR_GPIOGEN;
  RCC_APB1ENR2 |= RCC_APB1ENR2_LPUART1EN;
  (void)RCC_APB1ENR2;
  /* PG7: alternate function mode, AF8 (LPUART1_TX). */
  GPIOG_MODER = (GPIOG_MODER & ~(3u << 14)) | (2u << 14);
  GPIOG_AFRL = (GPIOG_AFRL & ~(0xFu << 28)) | (8u << 28);
  /* The LPUART divides by BRR / 256. */
  LPUART1_BRR = (uint32_t)(((uint64_t)UART_CLOCK_HZ * 256u + BAUD / 2u) / BAUD);
  LPUART1_CR1 = USART_CR1_TE | USART_CR1_UE;
}

void microtvm_uart_putc(char c) {
  while ((LPUART1_ISR & USART_ISR_TXE) == 0u) {
  }
  LPUART1_TDR = (uint8_t)c;
}
