/* SPDX-FileCopyrightText: 2026 The Petrel developers */
/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * null_guest: the smallest guest that proves a VMM can boot something.
 *
 * Entered through PVH (Xen's x86/HVM direct boot ABI, docs/misc/pvh.pandoc in
 * Xen): 32-bit protected mode, flat 4 GiB CS/DS/ES/SS, paging off, %ebx =
 * hvm_start_info. It uses no stack and no memory operands (everything is an
 * immediate), so the flat binary made from .text runs at any load address.
 *
 *   1. writes "PETREL-NULL-OK\n" to the COM1 THR (8250/16550: port base + 0,
 *      DLAB=0) without polling LSR;
 *   2. writes 0x41 then 0x42 to the POST/debug port 0x80;
 *   3. powers off through the ACPI sleep control register (Petrel's FADT:
 *      port 0x600, SLP_TYP 5 (S5) << 2 | SLP_EN = 0x34; ACPI 6.4 4.8.3.7);
 *   4. if still running (no ACPI), asks for a reset through the i8042
 *      (command 0xFE "pulse output port bit 0" to the command port 0x64);
 *   5. cli; hlt forever.
 */

#define XEN_ELFNOTE_PHYS32_ENTRY 18   /* xen/include/public/elfnote.h */
#define COM1_THR 0x3f8
#define DEBUG_PORT 0x80
#define I8042_COMMAND 0x64
#define I8042_CMD_RESET 0xfe
#define ACPI_SLEEP_CONTROL 0x600  /* Petrel FADT SLEEP_CONTROL_REG, core/acpi/pm_registers.h */
#define ACPI_S5_SLEEP 0x34        /* (SLP_TYP 5 << 2) | SLP_EN */

/* One byte to the port in %dx, as an immediate (no memory operands). */
    .macro PUTC byte
    mov $\byte, %al
    out %al, %dx
    .endm

    .section .text.entry, "ax", @progbits
    .code32
    .globl null_guest_start
null_guest_start:
    cli
    mov $COM1_THR, %dx
    PUTC 0x50  /* P */
    PUTC 0x45  /* E */
    PUTC 0x54  /* T */
    PUTC 0x52  /* R */
    PUTC 0x45  /* E */
    PUTC 0x4c  /* L */
    PUTC 0x2d  /* - */
    PUTC 0x4e  /* N */
    PUTC 0x55  /* U */
    PUTC 0x4c  /* L */
    PUTC 0x4c  /* L */
    PUTC 0x2d  /* - */
    PUTC 0x4f  /* O */
    PUTC 0x4b  /* K */
    PUTC 0x0a  /* \n */

    mov $0x41, %al
    out %al, $DEBUG_PORT
    mov $0x42, %al
    out %al, $DEBUG_PORT

    mov $ACPI_SLEEP_CONTROL, %dx
    mov $ACPI_S5_SLEEP, %al
    out %al, %dx
    mov $I8042_CMD_RESET, %al
    out %al, $I8042_COMMAND
1:
    cli
    hlt
    jmp 1b

/* PVH entry point note: name "Xen", type 18, a 4-byte 32-bit physical
 * address (ELF notes: 4-byte aligned namesz/descsz/type, name, desc). */
    .section .note.Xen, "a", @note
    .balign 4
    .long 2f - 1f            /* namesz */
    .long 4f - 3f            /* descsz */
    .long XEN_ELFNOTE_PHYS32_ENTRY
1:  .asciz "Xen"
2:  .balign 4
3:  .long null_guest_start
4:  .balign 4

    .section .note.GNU-stack, "", @progbits
