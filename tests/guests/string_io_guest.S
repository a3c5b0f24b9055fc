/* SPDX-FileCopyrightText: 2026 The Petrel developers */
/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * string_io_guest: string port I/O (INS/OUTS, with and without REP, both
 * directions) on COM1 and the test device's data port, registers dumped
 * after each block.
 */
#include "guest.inc"

    GUEST_START string_io_guest_start
    /* "STRING-IO\n" to COM1 with REP OUTSB from RAM. */
    movl $0x49525453, GUEST_DATA        /* "STRI" */
    movl $0x492d474e, GUEST_DATA + 4    /* "NG-I" */
    movw $0x0a4f, GUEST_DATA + 8        /* "O\n" */
    cld
    mov $GUEST_DATA, %esi
    mov $COM1, %dx
    mov $10, %ecx
    rep outsb
    DUMP_REGS FLAGS_LOGIC

    /* REP INSB from the test device's sequence, then OUTSL it back. */
    mov $TESTDEV_PORT, %dx
    mov $GUEST_DATA + 0x100, %edi
    mov $16, %ecx
    rep insb
    mov GUEST_DATA + 0x100, %eax
    mov GUEST_DATA + 0x10c, %ebx
    DUMP_REGS FLAGS_LOGIC
    mov $GUEST_DATA + 0x100, %esi
    mov $4, %ecx
    rep outsl
    DUMP_REGS FLAGS_LOGIC

    /* Single INSW / OUTSW, then INSB backwards (DF = 1). */
    insw
    outsw
    std
    mov $GUEST_DATA + 0x207, %edi
    mov $8, %ecx
    rep insb
    cld
    mov GUEST_DATA + 0x200, %eax
    mov GUEST_DATA + 0x204, %ebx
    DUMP_REGS FLAGS_LOGIC

    /* The sequence position, read back through the SEQ port. */
    mov $TESTDEV_PORT + 4, %dx
    in %dx, %eax
    DUMP_REGS FLAGS_LOGIC

    GUEST_END

    PVH_NOTE string_io_guest_start
