/* SPDX-FileCopyrightText: 2026 The Petrel developers */
/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mmio_guest: the instruction forms drivers use on MMIO (the emulator's mmio
 * profile: docs/x86emu.md) against the test device's registers and scratch
 * window, registers dumped after each block. Every access is a device access
 * (KVM: an MMIO exit each), so the differential run compares them one by one.
 */
#include "guest.inc"

#define S TESTDEV_SCRATCH

    GUEST_START mmio_guest_start
    /* Reads: the ID register at each width, MOVZX and MOVSX, moffs. */
    mov TESTDEV_MMIO, %eax                 /* A1 moffs32 */
    movzbl TESTDEV_MMIO + 1, %ebx
    movswl TESTDEV_MMIO + 2, %ecx
    movzwl TESTDEV_MMIO, %edx
    mov $TESTDEV_MMIO, %esi
    mov (%esi), %di
    DUMP_REGS FLAGS_LOGIC

    /* Writes at 1, 2 and 4 bytes, read back. */
    movb $0x81, S
    movw $0x8283, S + 2
    movl $0x84858687, S + 4
    mov $0x8c8d8e8f, %eax
    mov %eax, S + 8
    mov %al, S + 12
    mov S, %ebx
    mov S + 4, %ecx
    movsbl S, %edx
    movswl S + 2, %esi
    mov S + 8, %edi
    DUMP_REGS FLAGS_LOGIC

    /* Read-modify-write ALU on MMIO, memory destination and source. */
    movl $0x0f0f0f0f, S + 0x10
    orl $0x10000000, S + 0x10
    andl $0xfff0ffff, S + 0x10
    addl $0x11, S + 0x10
    subl $1, S + 0x10
    xorl $0x01010101, S + 0x10
    mov S + 0x10, %eax
    mov $0x100, %ebx
    add S + 0x10, %ebx
    DUMP_REGS FLAGS_ARITH
    cmpl $0x1e0e0f1f, S + 0x10
    sete %cl
    setb %ch
    testl $0x80, S + 0x10
    setnz %dl
    testb $0x01, S + 0x10
    setz %dh
    DUMP_REGS FLAGS_LOGIC

    /* XCHG with MMIO, bit tests on MMIO (immediate and register offsets). */
    mov $0xa5a5a5a5, %eax
    xchg %eax, S + 0x20
    xchg S + 0x20, %ebx
    movl $0, S + 0x24
    btsl $3, S + 0x24
    mov $33, %ecx
    bts %ecx, S + 0x24        /* bit 1 of the next dword */
    btl $3, S + 0x24
    setc %dl
    btrl $3, S + 0x24
    mov S + 0x24, %esi
    mov S + 0x28, %edi
    DUMP_REGS FLAGS_BIT

    /* The counter register: each read counts. */
    mov TESTDEV_COUNTER, %eax
    mov TESTDEV_COUNTER, %ebx
    movl $1000, TESTDEV_COUNTER
    mov TESTDEV_COUNTER, %ecx
    DUMP_REGS FLAGS_LOGIC

    /* String moves: REP STOS to MMIO, REP MOVS RAM -> MMIO -> RAM, both directions. */
    cld
    mov $0x5a5a5a5a, %eax
    mov $S + 0x40, %edi
    mov $8, %ecx
    rep stosl
    movl $0x03020100, GUEST_DATA
    movl $0x07060504, GUEST_DATA + 4
    movl $0x0b0a0908, GUEST_DATA + 8
    mov $GUEST_DATA, %esi
    mov $S + 0x60, %edi
    mov $11, %ecx
    rep movsb
    mov $S + 0x60, %esi
    mov $GUEST_DATA + 0x100, %edi
    mov $3, %ecx
    rep movsl
    mov GUEST_DATA + 0x100, %eax
    mov GUEST_DATA + 0x108, %ebx
    DUMP_REGS FLAGS_LOGIC
    std
    mov $S + 0x6a, %esi
    mov $GUEST_DATA + 0x20a, %edi
    mov $4, %ecx
    rep movsw
    cld
    mov GUEST_DATA + 0x204, %eax
    mov GUEST_DATA + 0x208, %ebx
    DUMP_REGS FLAGS_LOGIC

    GUEST_END

    PVH_NOTE mmio_guest_start
