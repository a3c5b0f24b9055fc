/* SPDX-FileCopyrightText: 2026 The Petrel developers */
/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * io_tour_guest: a test guest that reads devices back, so a recorded run
 * (--record-io) has reads to compare on replay (docs/record-replay.md), and
 * every read is deterministic (no timers).
 *
 * Entered through PVH like null_guest.S: 32-bit protected mode, flat 4 GiB
 * segments, paging off. No stack; memory operands only at absolute device
 * addresses (flat DS).
 *
 *   1. COM1: LCR = 0x03 (8N1) and read it back; scratch register = 0x5a and
 *      read it back; read LSR (THR empty: 0x60). (16550 registers.)
 *   2. CMOS: index 0x40 (general-purpose RAM) = 0x77, read it back.
 *   3. IOAPIC (0xfec00000): IOREGSEL = 1, read IOWIN (the version register,
 *      0x00170020); IOREGSEL = 0x18, IOWIN = 0x00010034 (pin 4 masked,
 *      vector 0x34), read it back (82093AA 3.2.4).
 *   4. "PETREL-TOUR-OK\n" to COM1, then power off through the ACPI sleep
 *      register (port 0x600, S5: 0x34), then cli; hlt forever.
 */

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define COM1 0x3f8
#define IOAPIC 0xfec00000

    .macro PUTC byte
    mov $\byte, %al
    out %al, %dx
    .endm

    .section .text.entry, "ax", @progbits
    .code32
    .globl io_tour_guest_start
io_tour_guest_start:
    cli
    mov $(COM1 + 3), %dx   /* LCR */
    mov $0x03, %al
    out %al, %dx
    in %dx, %al
    mov $(COM1 + 7), %dx   /* scratch */
    mov $0x5a, %al
    out %al, %dx
    in %dx, %al
    mov $(COM1 + 5), %dx   /* LSR */
    in %dx, %al

    mov $0x40, %al         /* CMOS index 0x40 */
    out %al, $0x70
    mov $0x77, %al
    out %al, $0x71
    mov $0x40, %al
    out %al, $0x70
    in $0x71, %al

    movl $0x01, IOAPIC               /* IOREGSEL = VER */
    movl IOAPIC + 0x10, %eax         /* IOWIN */
    movl $0x18, IOAPIC               /* IOREGSEL = redirection entry 4, low */
    movl $0x00010034, IOAPIC + 0x10
    movl IOAPIC + 0x10, %eax

    mov $COM1, %dx
    PUTC 0x50  /* P */
    PUTC 0x45  /* E */
    PUTC 0x54  /* T */
    PUTC 0x52  /* R */
    PUTC 0x45  /* E */
    PUTC 0x4c  /* L */
    PUTC 0x2d  /* - */
    PUTC 0x54  /* T */
    PUTC 0x4f  /* O */
    PUTC 0x55  /* U */
    PUTC 0x52  /* R */
    PUTC 0x2d  /* - */
    PUTC 0x4f  /* O */
    PUTC 0x4b  /* K */
    PUTC 0x0a  /* \n */

    mov $0x600, %dx
    mov $0x34, %al
    out %al, %dx
1:
    cli
    hlt
    jmp 1b

    .section .note.Xen, "a", @note
    .balign 4
    .long 2f - 1f
    .long 4f - 3f
    .long XEN_ELFNOTE_PHYS32_ENTRY
1:  .asciz "Xen"
2:  .balign 4
3:  .long io_tour_guest_start
4:  .balign 4
