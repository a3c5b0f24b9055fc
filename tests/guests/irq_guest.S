/* SPDX-FileCopyrightText: 2026 The Petrel developers */
/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * irq_guest: interrupts, through the IOAPIC (edge and level), an MSI and
 * INT n, into handlers found through the guest's own GDT and IDT (LGDT,
 * LIDT). Each handler writes its vector and its interrupt frame (EIP, CS,
 * EFLAGS) to the test device's data port, so the frame the CPU pushed is
 * compared too; the level-triggered one lowers the pin before its EOI, which
 * the IOAPIC sees (an "eoi" access in the trace: KVM's split irqchip exits
 * for level-triggered vectors only, as hv_sim's local APIC reports them).
 */
#include "guest.inc"

#define IDT_BASE (GUEST_DATA + 0x1000)
#define GDT_BASE (GUEST_DATA + 0x2000)
#define GDTR (GUEST_DATA + 0x3000)
#define IDTR (GUEST_DATA + 0x3010)
#define TAKEN (GUEST_DATA + 0x3020)   /* interrupts handled so far */
#define LAPIC 0xfee00000
#define LAPIC_EOI (LAPIC + 0xb0)
#define LAPIC_SVR (LAPIC + 0xf0)
#define IOAPIC 0xfec00000
#define IOAPIC_WIN (IOAPIC + 0x10)
#define PIN 10                        /* the test device's (x86_layout.h) */
#define TESTDEV_IRQ (TESTDEV_MMIO + 0x04)
#define TESTDEV_MSI (TESTDEV_MMIO + 0x08)
#define VEC_EDGE 0x30
#define VEC_MSI 0x41
#define VEC_SOFT 0x52
#define VEC_LEVEL 0x63
#define FLAGS_FRAME 0x0ed5            /* the arithmetic flags, DF and IF */

    GUEST_START irq_guest_start
    /* A GDT with the PVH boot selectors: flat code at 0x10, flat data at 0x18. */
    movl $0, GDT_BASE
    movl $0, GDT_BASE + 4
    movl $0, GDT_BASE + 8
    movl $0, GDT_BASE + 12
    movl $0x0000ffff, GDT_BASE + 0x10
    movl $0x00cf9b00, GDT_BASE + 0x14
    movl $0x0000ffff, GDT_BASE + 0x18
    movl $0x00cf9300, GDT_BASE + 0x1c
    movw $0x1f, GDTR
    movl $GDT_BASE, GDTR + 2
    lgdt GDTR

    /* The IDT: 256 empty gates, then the four handlers. */
    mov $IDT_BASE, %edi
    mov $512, %ecx
    xor %eax, %eax
    rep stosl
    mov $VEC_EDGE, %ecx
    mov $edge_handler, %eax
    call set_gate
    mov $VEC_MSI, %ecx
    mov $msi_handler, %eax
    call set_gate
    mov $VEC_SOFT, %ecx
    mov $soft_handler, %eax
    call set_gate
    mov $VEC_LEVEL, %ecx
    mov $level_handler, %eax
    call set_gate
    movw $0x7ff, IDTR
    movl $IDT_BASE, IDTR + 2
    lidt IDTR
    movl $0, TAKEN

    /* Software-enable the local APIC (SDM 3A 11.4.7.2). */
    movl $0x1ff, LAPIC_SVR
    /* IOAPIC pin 10: edge, fixed, physical destination APIC 0 (82093AA 3.2.4). */
    movl $(0x10 + 2 * PIN + 1), IOAPIC
    movl $0, IOAPIC_WIN
    movl $(0x10 + 2 * PIN), IOAPIC
    movl $VEC_EDGE, IOAPIC_WIN
    DUMP_REGS FLAGS_LOGIC

    /* 1. An edge on the pin. */
    movl $1, TESTDEV_IRQ
    call wait_for_interrupt
    DUMP_REGS FLAGS_ARITH

    /* 2. An MSI. */
    movl $VEC_MSI, TESTDEV_MSI
    call wait_for_interrupt
    DUMP_REGS FLAGS_ARITH

    /* 3. INT n (with interrupts off: software interrupts ignore IF). */
    mov $0x12345678, %esi
    int $VEC_SOFT
    DUMP_REGS FLAGS_ARITH

    /* 4. A level on the pin: the handler lowers it, then EOIs. */
    movl $(0x10 + 2 * PIN), IOAPIC
    movl $(VEC_LEVEL | 0x8000), IOAPIC_WIN   /* bit 15: level-triggered */
    movl $2, TESTDEV_IRQ
    call wait_for_interrupt
    DUMP_REGS FLAGS_ARITH
    mov $TESTDEV_PORT, %dx
    mov TAKEN, %eax
    out %eax, %dx

    GUEST_END

/* set_gate: IDT[ECX] = a 32-bit interrupt gate (P, DPL 0, type 0xE) to EAX
 * through selector 0x10 (SDM 3A 6.11, Figure 6-2). */
set_gate:
    push %edx
    mov %eax, %edx
    and $0xffff, %edx
    or $0x00100000, %edx
    mov %edx, IDT_BASE(,%ecx,8)
    mov %eax, %edx
    and $0xffff0000, %edx
    or $0x8e00, %edx
    mov %edx, IDT_BASE + 4(,%ecx,8)
    pop %edx
    ret

/* Waits with STI; HLT until TAKEN moves. */
wait_for_interrupt:
    push %eax
    mov TAKEN, %eax
1:  sti
    hlt
    cli
    cmp TAKEN, %eax
    je 1b
    pop %eax
    ret

/* A handler's report: its vector, the frame the CPU pushed, and EFLAGS now. */
    .macro REPORT vector
    push %eax
    push %edx
    mov $TESTDEV_PORT, %dx
    mov $\vector, %eax
    out %eax, %dx
    mov 8(%esp), %eax      /* EIP */
    out %eax, %dx
    mov 12(%esp), %eax     /* CS */
    and $0xffff, %eax
    out %eax, %dx
    mov 16(%esp), %eax     /* EFLAGS */
    and $FLAGS_FRAME, %eax
    out %eax, %dx
    pushf                  /* inside the handler: IF clear */
    pop %eax
    and $FLAGS_FRAME, %eax
    out %eax, %dx
    incl TAKEN
    pop %edx
    pop %eax
    .endm

edge_handler:
    REPORT VEC_EDGE
    movl $0, LAPIC_EOI
    iret

msi_handler:
    REPORT VEC_MSI
    movl $0, LAPIC_EOI
    iret

soft_handler:
    REPORT VEC_SOFT
    iret

level_handler:
    REPORT VEC_LEVEL
    movl $4, TESTDEV_IRQ   /* lower the pin */
    movl $0, LAPIC_EOI
    iret

    PVH_NOTE irq_guest_start
