/*
 * Output on the first 16550 UART (COM1), polled: the only thing assumed of the UART is that LSR
 * bit 5 (THRE) says when THR takes another byte, and bit 0 (DR) when RBR holds one. One spinlock keeps each CPU's lines whole.
 */
#include "serial.h"
#include "format.h"

#define COM1_BASE 0x3f8

/* 16550 register offsets and bits (National Semiconductor PC16550D data sheet, Table II). */
#define UART_THR 0 /* transmit holding register (DLAB = 0) */
#define UART_RBR 0 /* receiver buffer (DLAB = 0, read) */
#define UART_DLL 0 /* divisor latch, low byte (DLAB = 1) */
#define UART_IER 1 /* interrupt enable (DLAB = 0) */
#define UART_DLM 1 /* divisor latch, high byte (DLAB = 1) */
#define UART_FCR 2 /* FIFO control */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */
#define UART_LCR_WLEN8 0x03 /* 8 data bits, 1 stop bit, no parity */
#define UART_LCR_DLAB 0x80  /* divisor latch access */
#define UART_FCR_ENABLE_FIFO 0x01
#define UART_FCR_CLEAR_RCVR 0x02
#define UART_FCR_CLEAR_XMIT 0x04
#define UART_MCR_DTR 0x01
#define UART_MCR_RTS 0x02
#define UART_LSR_DR 0x01   /* data ready */
#define UART_LSR_THRE 0x20 /* THR empty */

/* 115200 baud: the 1.8432 MHz clock / 16 / 115200 = 1. */
#define UART_DIVISOR_115200 1

static spinlock_t serial_lock;

void serial_init(void)
{
	outb(COM1_BASE + UART_IER, 0); /* polled: no UART interrupts */
	outb(COM1_BASE + UART_LCR, UART_LCR_DLAB);
	outb(COM1_BASE + UART_DLL, UART_DIVISOR_115200 & 0xff);
	outb(COM1_BASE + UART_DLM, UART_DIVISOR_115200 >> 8);
	outb(COM1_BASE + UART_LCR, UART_LCR_WLEN8);
	outb(COM1_BASE + UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT);
	outb(COM1_BASE + UART_MCR, UART_MCR_DTR | UART_MCR_RTS);
}

static void serial_putc(char c, void *ctx)
{
	(void)ctx;
	while (!(inb(COM1_BASE + UART_LSR) & UART_LSR_THRE))
		cpu_relax();
	outb(COM1_BASE + UART_THR, (uint8_t)c);
}

bool serial_byte_received(void)
{
	if (!(inb(COM1_BASE + UART_LSR) & UART_LSR_DR))
		return false;
	(void)inb(COM1_BASE + UART_RBR);
	return true;
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	spin_lock(&serial_lock);
	format(serial_putc, NULL, fmt, ap);
	spin_unlock(&serial_lock);
	va_end(ap);
}

void kprintf_urgent(const char *fmt, ...)
{
	/*
	 * For the exception path: the faulting CPU may itself hold the lock. Wait a bounded number of
	 * tries (long enough for any other CPU to finish its line), then print anyway.
	 */
	bool locked = false;
	for (unsigned i = 0; i < 10000000 && !locked; i++) {
		locked = spin_trylock(&serial_lock);
		if (!locked)
			cpu_relax();
	}
	va_list ap;
	va_start(ap, fmt);
	format(serial_putc, NULL, fmt, ap);
	va_end(ap);
	if (locked)
		spin_unlock(&serial_lock);
}
