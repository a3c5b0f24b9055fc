/* SPDX-FileCopyrightText: 2026 The Petrel developers */
/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * alu_guest: integer arithmetic, flags, the stack and control flow, with the
 * registers dumped after each block (guest.inc DUMP_REGS). No devices but the
 * test device's data port and the power-off register.
 */
#include "guest.inc"

    GUEST_START alu_guest_start
    xor %eax, %eax
    xor %ebx, %ebx
    xor %ecx, %ecx
    xor %edx, %edx
    xor %esi, %esi
    xor %edi, %edi
    xor %ebp, %ebp
    DUMP_REGS FLAGS_LOGIC

    /* ADD, ADC, SUB, SBB: carries, overflows, zero. */
    mov $0x7fffffff, %eax
    add $1, %eax               /* OF, SF */
    DUMP_REGS FLAGS_ARITH
    mov $0xffffffff, %ebx
    add $1, %ebx               /* CF, ZF, AF */
    adc $0x10, %ecx            /* + CF */
    DUMP_REGS FLAGS_ARITH
    mov $5, %edx
    sub $7, %edx               /* borrow */
    sbb %edx, %esi             /* 0 - (-2) - 1 */
    DUMP_REGS FLAGS_ARITH
    mov $0x80, %al
    add %al, %al               /* 8-bit: CF, ZF, OF */
    mov $0x8000, %bx
    sub $1, %bx                /* 16-bit: OF */
    DUMP_REGS FLAGS_ARITH

    /* CMP and the conditions (Jcc, SETcc). */
    mov $3, %eax
    cmp $5, %eax
    setb %bl
    setl %bh
    setg %cl
    seta %ch
    sete %dl
    setne %dh
    DUMP_REGS FLAGS_ARITH
    mov $-1, %eax
    cmp $1, %eax
    setb %bl
    setl %bh
    setg %cl
    seta %ch
    DUMP_REGS FLAGS_ARITH

    /* Logic. */
    mov $0xf0f0f0f0, %eax
    and $0x0ff00ff0, %eax
    mov $0x12345678, %ebx
    or $0x80000001, %ebx
    mov $0xaaaaaaaa, %ecx
    xor $0xffffffff, %ecx
    test %ecx, %ecx
    DUMP_REGS FLAGS_LOGIC

    /* INC, DEC (CF kept), NEG, NOT. */
    stc
    mov $0xffffffff, %eax
    inc %eax
    mov $0, %ebx
    dec %ebx
    DUMP_REGS FLAGS_ARITH
    mov $5, %ecx
    neg %ecx
    not %edx
    DUMP_REGS FLAGS_ARITH

    /* Shifts. */
    mov $0x80000001, %eax
    shl $1, %eax
    DUMP_REGS FLAGS_LOGIC
    mov $0x80000000, %ebx
    sar $4, %ebx
    mov $0x80000000, %ecx
    shr $31, %ecx
    mov $3, %cl
    mov $0x11, %edx
    shl %cl, %edx
    DUMP_REGS FLAGS_SHIFT

    /* Multiplication. */
    mov $0x10000, %eax
    mov $0x10000, %ecx
    mul %ecx                   /* EDX:EAX = 2^32: CF, OF */
    DUMP_REGS FLAGS_MUL
    mov $-3, %ebx
    imul $7, %ebx, %esi        /* -21 */
    imul %ebx, %esi            /* 63 */
    DUMP_REGS FLAGS_MUL

    /* LEA. */
    mov $0x1000, %ebx
    mov $3, %ecx
    lea 0x10(%ebx,%ecx,4), %eax
    lea -1(%eax), %edi
    DUMP_REGS FLAGS_LOGIC

    /* The stack, CALL and RET, a counted loop. */
    mov $0x11111111, %eax
    mov $0x22222222, %ebx
    push %eax
    push %ebx
    push $0x33
    pop %ecx
    pop %eax
    pop %ebx                   /* swapped */
    DUMP_REGS FLAGS_LOGIC
    mov $10, %ecx
    xor %eax, %eax
1:  call add_ecx_to_eax
    dec %ecx
    jnz 1b                     /* EAX = 55 */
    DUMP_REGS FLAGS_ARITH

    /* XCHG, MOVZX, MOVSX, BT. */
    mov $0x1234, %eax
    mov $0xffff8081, %ebx
    xchg %eax, %ebx
    movzx %bl, %ecx
    movsx %bl, %edx
    movsx %bx, %esi
    bt $15, %eax
    DUMP_REGS FLAGS_BIT

    GUEST_END

add_ecx_to_eax:
    add %ecx, %eax
    ret

    PVH_NOTE alu_guest_start
