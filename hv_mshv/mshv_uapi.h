// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Petrel's own definitions of the Microsoft Hypervisor (MSHV) interface:
// the /dev/mshv ioctls and their argument structs (Linux
// include/uapi/linux/mshv.h, MSHV_IOCTL 0xB8), and the hypervisor's own
// structures they carry: hv_message and the x64 intercept messages, register
// names and values for HVCALL_GET/SET_VP_REGISTERS, hypercall codes and
// partition property codes (Linux include/hyperv/hvgdk_mini.h, hvhdk_mini.h,
// hvhdk.h; the Hyper-V TLFS). Debian 12 ships none of these headers.
//
// Every struct has a static_assert on its size and every ioctl number on the
// value a C compiler computes from the upstream header. Bit fields of the
// upstream headers are spelled here as plain integers plus mask/shift
// constants, so the layout never depends on the compiler's bit-field order.
// Nothing here has been checked against a running MSHV kernel (docs/mshv.md).
#pragma once

#include <linux/ioctl.h>

#include <cstddef>
#include <cstdint>

namespace petrel::mshv {

// --- include/uapi/linux/mshv.h -------------------------------------------

inline constexpr unsigned kMshvIoctlType = 0xB8;  // MSHV_IOCTL

// enum MSHV_PT_BIT_*: struct mshv_create_partition.pt_flags bits.
inline constexpr uint64_t kPtFlagLapic = 1ull << 0;           // MSHV_PT_BIT_LAPIC
inline constexpr uint64_t kPtFlagX2apic = 1ull << 1;          // MSHV_PT_BIT_X2APIC
inline constexpr uint64_t kPtFlagGpaSuperPages = 1ull << 2;   // MSHV_PT_BIT_GPA_SUPER_PAGES
inline constexpr uint64_t kPtIsolationNone = 0;               // MSHV_PT_ISOLATION_NONE

struct MshvCreatePartition {  // struct mshv_create_partition
  uint64_t pt_flags;
  uint64_t pt_isolation;
};
static_assert(sizeof(MshvCreatePartition) == 16);

struct MshvCreateVp {  // struct mshv_create_vp
  uint32_t vp_index;
};
static_assert(sizeof(MshvCreateVp) == 4);

// enum MSHV_SET_MEM_BIT_*: struct mshv_user_mem_region.flags bits.
inline constexpr uint8_t kSetMemWritable = 1u << 0;    // MSHV_SET_MEM_BIT_WRITABLE
inline constexpr uint8_t kSetMemExecutable = 1u << 1;  // MSHV_SET_MEM_BIT_EXECUTABLE
inline constexpr uint8_t kSetMemUnmap = 1u << 2;       // MSHV_SET_MEM_BIT_UNMAP
inline constexpr uint64_t kHvPageSize = 0x1000;        // MSHV_HV_PAGE_SIZE

struct MshvUserMemRegion {  // struct mshv_user_mem_region
  uint64_t size;            // bytes, page aligned
  uint64_t guest_pfn;
  uint64_t userspace_addr;  // page aligned
  uint8_t flags;
  uint8_t rsvd[7];
};
static_assert(sizeof(MshvUserMemRegion) == 32);

// enum MSHV_IRQFD_BIT_*
inline constexpr uint32_t kIrqfdDeassign = 1u << 0;  // MSHV_IRQFD_BIT_DEASSIGN
inline constexpr uint32_t kIrqfdResample = 1u << 1;  // MSHV_IRQFD_BIT_RESAMPLE

struct MshvUserIrqfd {  // struct mshv_user_irqfd
  int32_t fd;
  int32_t resamplefd;
  uint32_t gsi;
  uint32_t flags;
};
static_assert(sizeof(MshvUserIrqfd) == 16);

// enum MSHV_IOEVENTFD_BIT_*
inline constexpr uint32_t kIoeventfdDatamatch = 1u << 0;  // MSHV_IOEVENTFD_BIT_DATAMATCH
inline constexpr uint32_t kIoeventfdPio = 1u << 1;        // MSHV_IOEVENTFD_BIT_PIO
inline constexpr uint32_t kIoeventfdDeassign = 1u << 2;   // MSHV_IOEVENTFD_BIT_DEASSIGN

struct MshvUserIoeventfd {  // struct mshv_user_ioeventfd
  uint64_t datamatch;
  uint64_t addr;
  uint32_t len;  // 1, 2, 4 or 8 (0: any, drivers/hv/mshv_eventfd.c)
  int32_t fd;
  uint32_t flags;
  uint8_t rsvd[4];
};
static_assert(sizeof(MshvUserIoeventfd) == 32);

struct MshvUserIrqEntry {  // struct mshv_user_irq_entry
  uint32_t gsi;
  uint32_t address_lo;
  uint32_t address_hi;
  uint32_t data;
};
static_assert(sizeof(MshvUserIrqEntry) == 16);

// struct mshv_user_irq_table without its flexible array `entries[]`, which
// follow it in memory. The kernel accepts at most 4096 entries and GSIs below
// 4096 (MSHV_MAX_GUEST_IRQS, drivers/hv/mshv_root.h), and refuses an entry
// with a non-zero address_hi (drivers/hv/mshv_irq.c).
struct MshvUserIrqTable {
  uint32_t nr;
  uint32_t rsvd;
};
static_assert(sizeof(MshvUserIrqTable) == 8);
inline constexpr uint32_t kMaxGuestIrqs = 4096;  // MSHV_MAX_GUEST_IRQS

// enum MSHV_GPAP_ACCESS_TYPE_* / MSHV_GPAP_ACCESS_OP_*
inline constexpr uint8_t kGpapAccessTypeAccessed = 0;
inline constexpr uint8_t kGpapAccessTypeDirty = 1;
inline constexpr uint8_t kGpapAccessOpNoop = 0;
inline constexpr uint8_t kGpapAccessOpClear = 1;
inline constexpr uint8_t kGpapAccessOpSet = 2;

struct MshvGpapAccessBitmap {  // struct mshv_gpap_access_bitmap
  uint8_t access_type;
  uint8_t access_op;
  uint8_t rsvd[6];
  uint64_t page_count;
  uint64_t gpap_base;   // first guest page number
  uint64_t bitmap_ptr;  // (page_count + 7) / 8 bytes, bit i = page i
};
static_assert(sizeof(MshvGpapAccessBitmap) == 32);

// struct mshv_root_hvcall: a hypercall passed through the kernel from an
// allow-list (drivers/hv/mshv_root_main.c mshv_passthru_hvcalls). in_sz and
// out_sz are at most one hypervisor page; `status` must be 0 on input and
// holds the HV_STATUS on output; the kernel fills in the partition id (the
// first u64 of the input).
struct MshvRootHvcall {
  uint16_t code;
  uint16_t reps;  // in: rep count; out: reps completed
  uint16_t in_sz;
  uint16_t out_sz;
  uint16_t status;
  uint8_t rsvd[6];
  uint64_t in_ptr;
  uint64_t out_ptr;
};
static_assert(sizeof(MshvRootHvcall) == 32);

inline constexpr size_t kRunVpBufSize = 256;  // MSHV_RUN_VP_BUF_SZ
struct MshvRunVp {                            // struct mshv_run_vp
  uint8_t msg_buf[kRunVpBufSize];
};
static_assert(sizeof(MshvRunVp) == 256);

// enum MSHV_VP_STATE_*. LAPIC: the local APIC's register page (rust-vmm's
// LapicState takes its first 1 KiB as KVM's kvm_lapic_state), in a 4 KiB
// page-aligned buffer.
inline constexpr uint8_t kVpStateLapic = 0;
inline constexpr uint8_t kVpStateXsave = 1;

struct MshvGetSetVpState {  // struct mshv_get_set_vp_state
  uint8_t type;
  uint8_t rsvd[3];
  uint32_t buf_sz;  // 4 KiB aligned
  uint64_t buf_ptr;  // 4 KiB aligned
};
static_assert(sizeof(MshvGetSetVpState) == 16);

// /dev/mshv
inline constexpr unsigned long kMshvCreatePartition =
    _IOW(kMshvIoctlType, 0x00, MshvCreatePartition);
// Partition fds
inline constexpr unsigned long kMshvInitializePartition = _IO(kMshvIoctlType, 0x00);
inline constexpr unsigned long kMshvCreateVp = _IOW(kMshvIoctlType, 0x01, MshvCreateVp);
inline constexpr unsigned long kMshvSetGuestMemory =
    _IOW(kMshvIoctlType, 0x02, MshvUserMemRegion);
inline constexpr unsigned long kMshvIrqfd = _IOW(kMshvIoctlType, 0x03, MshvUserIrqfd);
inline constexpr unsigned long kMshvIoeventfd = _IOW(kMshvIoctlType, 0x04, MshvUserIoeventfd);
inline constexpr unsigned long kMshvSetMsiRouting = _IOW(kMshvIoctlType, 0x05, MshvUserIrqTable);
inline constexpr unsigned long kMshvGetGpapAccessBitmap =
    _IOWR(kMshvIoctlType, 0x06, MshvGpapAccessBitmap);
// Partition and VP fds
inline constexpr unsigned long kMshvRootHvcall = _IOWR(kMshvIoctlType, 0x07, MshvRootHvcall);
// VP fds
inline constexpr unsigned long kMshvRunVp = _IOR(kMshvIoctlType, 0x00, MshvRunVp);
inline constexpr unsigned long kMshvGetVpState = _IOWR(kMshvIoctlType, 0x01, MshvGetSetVpState);
inline constexpr unsigned long kMshvSetVpState = _IOWR(kMshvIoctlType, 0x02, MshvGetSetVpState);

// The numbers a C compiler computes from include/uapi/linux/mshv.h
// (_IOC: dir << 30 | size << 16 | type << 8 | nr).
static_assert(kMshvCreatePartition == 0x4010B800);
static_assert(kMshvInitializePartition == 0x0000B800);
static_assert(kMshvCreateVp == 0x4004B801);
static_assert(kMshvSetGuestMemory == 0x4020B802);
static_assert(kMshvIrqfd == 0x4010B803);
static_assert(kMshvIoeventfd == 0x4020B804);
static_assert(kMshvSetMsiRouting == 0x4008B805);  // C sizes the flexible-array table as 8
static_assert(kMshvGetGpapAccessBitmap == 0xC020B806);
static_assert(kMshvRootHvcall == 0xC020B807);
static_assert(kMshvRunVp == 0x8100B800);
static_assert(kMshvGetVpState == 0xC010B801);
static_assert(kMshvSetVpState == 0xC010B802);

// --- Hypercall codes (include/hyperv/hvgdk_mini.h HVCALL_*) ---------------

inline constexpr uint16_t kHvcallGetPartitionProperty = 0x0044;
inline constexpr uint16_t kHvcallSetPartitionProperty = 0x0045;
inline constexpr uint16_t kHvcallInstallIntercept = 0x004d;
inline constexpr uint16_t kHvcallGetVpRegisters = 0x0050;  // rep hypercall
inline constexpr uint16_t kHvcallSetVpRegisters = 0x0051;  // rep hypercall
inline constexpr uint16_t kHvcallTranslateVirtualAddress = 0x0052;
inline constexpr uint16_t kHvcallRegisterInterceptResult = 0x0091;
inline constexpr uint16_t kHvcallAssertVirtualInterrupt = 0x0094;

inline constexpr uint16_t kHvStatusSuccess = 0;  // HV_STATUS_SUCCESS

// --- Partition properties (include/hyperv/hvhdk_mini.h and hvgdk.h) --------

// enum hv_partition_property_code. TIME_FREEZE is not in Linux's
// hvhdk_mini.h; its value is from the hypervisor's hvhdk.h as carried by
// rust-vmm/mshv's bindings (time properties group 0x0003xxxx).
inline constexpr uint32_t kPropSyntheticProcFeatures = 0x00010001;
inline constexpr uint32_t kPropTimeFreeze = 0x00030003;
inline constexpr uint32_t kPropGpaPageAccessTracking = 0x00050005;
inline constexpr uint32_t kPropUnimplementedMsrAction = 0x00050017;
// enum hv_unimplemented_msr_action (hvgdk.h)
inline constexpr uint64_t kUnimplementedMsrActionFault = 0;
inline constexpr uint64_t kUnimplementedMsrActionIgnoreWriteReadZero = 1;

struct HvInputSetPartitionProperty {  // struct hv_input_set_partition_property
  uint64_t partition_id;  // filled in by the kernel
  uint32_t property_code;
  uint32_t padding;
  uint64_t property_value;
};
static_assert(sizeof(HvInputSetPartitionProperty) == 24);

// --- Intercept results (include/hyperv/hvhdk.h, all __packed) ------------

// enum hv_intercept_type
inline constexpr uint32_t kHvInterceptTypeX64IoPort = 0;
inline constexpr uint32_t kHvInterceptTypeX64Msr = 1;
inline constexpr uint32_t kHvInterceptTypeX64Cpuid = 2;

// struct hv_register_x64_cpuid_result_parameters: for CPUID leaf
// input.eax / subleaf input.ecx (only that subleaf when subleaf_specific,
// else every subleaf), the bits set in each *_mask are replaced by the same
// bits of the value (always_override: even where the hypervisor's own value
// is zero).
#pragma pack(push, 1)
struct HvCpuidResultParameters {
  uint32_t input_eax;
  uint32_t input_ecx;
  uint8_t subleaf_specific;
  uint8_t always_override;
  uint16_t padding;
  uint32_t eax, eax_mask;
  uint32_t ebx, ebx_mask;
  uint32_t ecx, ecx_mask;
  uint32_t edx, edx_mask;
};
static_assert(sizeof(HvCpuidResultParameters) == 44);

// struct hv_input_register_intercept_result with the cpuid member of union
// hv_register_intercept_result_parameters (the union is 44 bytes: cpuid's
// size; the msr member is 12).
struct HvInputRegisterInterceptResult {
  uint64_t partition_id;  // filled in by the kernel
  uint32_t vp_index;
  uint32_t intercept_type;  // kHvInterceptType*
  HvCpuidResultParameters cpuid;
};
static_assert(sizeof(HvInputRegisterInterceptResult) == 60);
#pragma pack(pop)

// --- Registers (include/hyperv/hvgdk_mini.h) ------------------------------

// enum hv_register_name (x64)
enum HvRegisterName : uint32_t {
  kHvRegPendingInterruption = 0x00010002,
  kHvRegInterruptState = 0x00010003,
  kHvRegPendingEvent0 = 0x00010004,  // union hv_x64_pending_exception_event (128 bits)
  kHvX64RegRax = 0x00020000,  // RAX..R15 in the SDM's encoding order
  kHvX64RegRcx = 0x00020001,
  kHvX64RegRdx = 0x00020002,
  kHvX64RegRbx = 0x00020003,
  kHvX64RegRsp = 0x00020004,
  kHvX64RegRbp = 0x00020005,
  kHvX64RegRsi = 0x00020006,
  kHvX64RegRdi = 0x00020007,
  kHvX64RegR8 = 0x00020008,
  kHvX64RegR15 = 0x0002000F,
  kHvX64RegRip = 0x00020010,
  kHvX64RegRflags = 0x00020011,
  kHvX64RegFpControlStatus = 0x00030018,
  kHvX64RegXmmControlStatus = 0x00030019,
  kHvX64RegCr0 = 0x00040000,
  kHvX64RegCr2 = 0x00040001,
  kHvX64RegCr3 = 0x00040002,
  kHvX64RegCr4 = 0x00040003,
  kHvX64RegCr8 = 0x00040004,
  kHvX64RegXfem = 0x00040005,  // XCR0
  kHvX64RegDr0 = 0x00050000,  // DR0..DR3 consecutive
  kHvX64RegDr6 = 0x00050004,
  kHvX64RegDr7 = 0x00050005,
  kHvX64RegEs = 0x00060000,
  kHvX64RegCs = 0x00060001,
  kHvX64RegSs = 0x00060002,
  kHvX64RegDs = 0x00060003,
  kHvX64RegFs = 0x00060004,
  kHvX64RegGs = 0x00060005,
  kHvX64RegLdtr = 0x00060006,
  kHvX64RegTr = 0x00060007,
  kHvX64RegIdtr = 0x00070000,
  kHvX64RegGdtr = 0x00070001,
  kHvX64RegTsc = 0x00080000,
  kHvX64RegEfer = 0x00080001,
  kHvX64RegKernelGsBase = 0x00080002,
  kHvX64RegApicBase = 0x00080003,
  kHvX64RegPat = 0x00080004,
  kHvX64RegSysenterCs = 0x00080005,
  kHvX64RegSysenterEip = 0x00080006,
  kHvX64RegSysenterEsp = 0x00080007,
  kHvX64RegStar = 0x00080008,
  kHvX64RegLstar = 0x00080009,
  kHvX64RegCstar = 0x0008000A,
  kHvX64RegSfmask = 0x0008000B,
  kHvX64RegMtrrDefType = 0x0008000E,
  kHvX64RegTscAux = 0x0008007B,
  kHvX64RegMiscEnable = 0x000800A0,
};

// struct hv_x64_segment_register. `attributes` packs the descriptor's
// access byte and flags (SDM 3A 3.4.5): type 3:0, S 4, DPL 6:5, P 7,
// AVL 12, L 13, D/B 14, G 15.
struct HvX64SegmentRegister {
  uint64_t base;
  uint32_t limit;
  uint16_t selector;
  uint16_t attributes;
};
static_assert(sizeof(HvX64SegmentRegister) == 16);
inline constexpr uint16_t kSegAttrS = 1u << 4;
inline constexpr unsigned kSegAttrDplShift = 5;
inline constexpr uint16_t kSegAttrP = 1u << 7;
inline constexpr uint16_t kSegAttrAvl = 1u << 12;
inline constexpr uint16_t kSegAttrL = 1u << 13;
inline constexpr uint16_t kSegAttrDb = 1u << 14;
inline constexpr uint16_t kSegAttrG = 1u << 15;

struct HvX64TableRegister {  // struct hv_x64_table_register
  uint16_t pad[3];
  uint16_t limit;
  uint64_t base;
};
static_assert(sizeof(HvX64TableRegister) == 16);

// union hv_register_value: 16 bytes; reg64 is the low 8. For
// FP_CONTROL_STATUS fp_control is the u16 at byte 0; for XMM_CONTROL_STATUS
// xmm_status_control (MXCSR) is the u32 at byte 8.
struct HvRegisterValue {
  uint64_t low;
  uint64_t high;
  bool operator==(const HvRegisterValue&) const = default;
};
static_assert(sizeof(HvRegisterValue) == 16);
inline constexpr size_t kFpControlOffset = 0;
// union hv_x64_pending_exception_event (HV_REGISTER_PENDING_EVENT0): the low
// u32 holds event_pending (bit 0), event_type 3:1 (0: exception),
// deliver_error_code (bit 8) and vector 31:16; the next u32 the error code;
// the high u64 exception_parameter (a #PF's faulting address, for CR2).
inline constexpr uint32_t kPendingEventPending = 1u << 0;
inline constexpr uint32_t kPendingEventDeliverErrorCode = 1u << 8;
inline constexpr unsigned kPendingEventVectorShift = 16;
inline constexpr size_t kXmmStatusControlOffset = 8;

struct HvRegisterAssoc {  // struct hv_register_assoc
  uint32_t name;
  uint32_t reserved1;
  uint64_t reserved2;
  HvRegisterValue value;
};
static_assert(sizeof(HvRegisterAssoc) == 32);

// struct hv_input_get_vp_registers / hv_input_set_vp_registers without their
// flexible arrays (u32 names[] / struct hv_register_assoc elements[]).
struct HvInputVpRegistersHeader {
  uint64_t partition_id;  // filled in by the kernel
  uint32_t vp_index;
  uint8_t input_vtl;  // union hv_input_vtl; 0 = the VP's current VTL
  uint8_t rsvd_z8;
  uint16_t rsvd_z16;
};
static_assert(sizeof(HvInputVpRegistersHeader) == 16);

// --- Messages (include/hyperv/hvgdk_mini.h, hvhdk.h) ----------------------

inline constexpr size_t kHvMessageSize = 256;               // HV_MESSAGE_SIZE
inline constexpr size_t kHvMessagePayloadBytes = 240;       // HV_MESSAGE_PAYLOAD_BYTE_COUNT

struct HvMessageHeader {  // struct hv_message_header
  uint32_t message_type;  // enum hv_message_type
  uint8_t payload_size;
  uint8_t message_flags;  // union hv_message_flags: bit 0 msg_pending
  uint8_t reserved[2];
  uint64_t sender;  // or union hv_port_id
};
static_assert(sizeof(HvMessageHeader) == 16);

struct HvMessage {  // struct hv_message
  HvMessageHeader header;
  uint8_t payload[kHvMessagePayloadBytes];
};
static_assert(sizeof(HvMessage) == kHvMessageSize);
static_assert(sizeof(HvMessage) == sizeof(MshvRunVp));

// enum hv_message_type
inline constexpr uint32_t kHvMsgNone = 0x00000000;
inline constexpr uint32_t kHvMsgUnmappedGpa = 0x80000000;
inline constexpr uint32_t kHvMsgGpaIntercept = 0x80000001;
inline constexpr uint32_t kHvMsgUnacceptedGpa = 0x80000003;
inline constexpr uint32_t kHvMsgGpaAttributeIntercept = 0x80000004;
inline constexpr uint32_t kHvMsgTimerExpired = 0x80000010;
inline constexpr uint32_t kHvMsgInvalidVpRegisterValue = 0x80000020;
inline constexpr uint32_t kHvMsgUnrecoverableException = 0x80000021;
inline constexpr uint32_t kHvMsgUnsupportedFeature = 0x80000022;
inline constexpr uint32_t kHvMsgOpaqueIntercept = 0x8000003F;
inline constexpr uint32_t kHvMsgHypercallIntercept = 0x80000050;
inline constexpr uint32_t kHvMsgSynicSintDeliverable = 0x80000062;
inline constexpr uint32_t kHvMsgX64IoPortIntercept = 0x80010000;
inline constexpr uint32_t kHvMsgX64MsrIntercept = 0x80010001;
inline constexpr uint32_t kHvMsgX64CpuidIntercept = 0x80010002;
inline constexpr uint32_t kHvMsgX64ExceptionIntercept = 0x80010003;
inline constexpr uint32_t kHvMsgX64ApicEoi = 0x80010004;
inline constexpr uint32_t kHvMsgX64LegacyFpError = 0x80010005;
inline constexpr uint32_t kHvMsgX64Halt = 0x80010007;
inline constexpr uint32_t kHvMsgX64InterruptionDeliverable = 0x80010008;
inline constexpr uint32_t kHvMsgX64SipiIntercept = 0x80010009;

// enum hv_x64_intercept_access_type
inline constexpr uint8_t kHvInterceptAccessRead = 0;
inline constexpr uint8_t kHvInterceptAccessWrite = 1;
inline constexpr uint8_t kHvInterceptAccessExecute = 2;

// struct hv_x64_intercept_message_header: the start of every x64 intercept
// payload. Byte 4 holds instruction_length in bits 3:0 and cr8 in 7:4.
struct HvX64InterceptMessageHeader {
  uint32_t vp_index;
  uint8_t instruction_length_cr8;
  uint8_t intercept_access_type;
  uint16_t execution_state;  // union hv_x64_vp_execution_state
  HvX64SegmentRegister cs_segment;
  uint64_t rip;
  uint64_t rflags;
};
static_assert(sizeof(HvX64InterceptMessageHeader) == 40);
inline constexpr uint8_t kInstructionLengthMask = 0x0f;

// union hv_x64_io_port_access_info: access_size 2:0, string_op 3, rep_prefix 4.
inline constexpr uint8_t kIoAccessSizeMask = 0x07;
inline constexpr uint8_t kIoAccessStringOp = 1u << 3;
inline constexpr uint8_t kIoAccessRepPrefix = 1u << 4;

struct HvX64IoPortInterceptMessage {  // struct hv_x64_io_port_intercept_message
  HvX64InterceptMessageHeader header;
  uint16_t port_number;
  uint8_t access_info;
  uint8_t instruction_byte_count;
  uint32_t reserved;
  uint64_t rax;
  uint8_t instruction_bytes[16];
  HvX64SegmentRegister ds_segment;
  HvX64SegmentRegister es_segment;
  uint64_t rcx;
  uint64_t rsi;
  uint64_t rdi;
};
static_assert(sizeof(HvX64IoPortInterceptMessage) == 128);
static_assert(offsetof(HvX64IoPortInterceptMessage, rax) == 48);

// union hv_x64_memory_access_info: gva_valid 0, gva_gpa_valid 1.
inline constexpr uint8_t kMemAccessGvaValid = 1u << 0;
inline constexpr uint8_t kMemAccessGvaGpaValid = 1u << 1;

struct HvX64MemoryInterceptMessage {  // struct hv_x64_memory_intercept_message
  HvX64InterceptMessageHeader header;
  uint32_t cache_type;
  uint8_t instruction_byte_count;
  uint8_t memory_access_info;
  uint8_t tpr_priority;
  uint8_t reserved1;
  uint64_t guest_virtual_address;
  uint64_t guest_physical_address;
  uint8_t instruction_bytes[16];
};
static_assert(sizeof(HvX64MemoryInterceptMessage) == 80);
static_assert(offsetof(HvX64MemoryInterceptMessage, guest_physical_address) == 56);

// union hv_x64_vp_execution_state (the intercept header's execution_state):
// cpl 1:0, cr0_pe 2, cr0_am 3, efer_lma 4, debug_active 5,
// interruption_pending 6, vtl 10:7, enclave_mode 11, interrupt_shadow 12.
inline constexpr uint16_t kExecStateCplMask = 0x3;
inline constexpr uint16_t kExecStateCr0Pe = 1u << 2;
inline constexpr uint16_t kExecStateEferLma = 1u << 4;
inline constexpr uint16_t kExecStateInterruptionPending = 1u << 6;

struct HvX64MsrInterceptMessage {  // struct hv_x64_msr_intercept_message
  HvX64InterceptMessageHeader header;
  uint32_t msr_number;
  uint32_t reserved;
  uint64_t rdx;
  uint64_t rax;
};
static_assert(sizeof(HvX64MsrInterceptMessage) == 64);

struct HvX64CpuidInterceptMessage {  // struct hv_x64_cpuid_intercept_message
  HvX64InterceptMessageHeader header;
  uint64_t rax;
  uint64_t rcx;
  uint64_t rdx;
  uint64_t rbx;
  uint64_t default_result_rax;  // what the hypervisor would return
  uint64_t default_result_rcx;
  uint64_t default_result_rdx;
  uint64_t default_result_rbx;
};
static_assert(sizeof(HvX64CpuidInterceptMessage) == 104);

// union hv_x64_interrupt_state_register (HV_REGISTER_INTERRUPT_STATE).
inline constexpr uint64_t kInterruptStateShadow = 1u << 0;
inline constexpr uint64_t kInterruptStateNmiMasked = 1u << 1;

struct HvX64ApicEoiMessage {  // struct hv_x64_apic_eoi_message
  uint32_t vp_index;
  uint32_t interrupt_vector;
};
static_assert(sizeof(HvX64ApicEoiMessage) == 8);

// struct hv_x64_halt_message and hv_x64_unrecoverable_exception_message are
// the intercept header alone.
using HvX64HaltMessage = HvX64InterceptMessageHeader;
using HvX64UnrecoverableExceptionMessage = HvX64InterceptMessageHeader;

struct HvX64InvalidVpRegisterMessage {  // struct hv_x64_invalid_vp_register_message
  uint32_t vp_index;
  uint32_t reserved;
};
static_assert(sizeof(HvX64InvalidVpRegisterMessage) == 8);

struct HvX64UnsupportedFeatureMessage {  // struct hv_x64_unsupported_feature_message
  uint32_t vp_index;
  uint32_t feature_code;
  uint64_t feature_parameter;
};
static_assert(sizeof(HvX64UnsupportedFeatureMessage) == 16);

}  // namespace petrel::mshv
