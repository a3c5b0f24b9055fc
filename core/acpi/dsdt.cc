// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// DSDT builder (see dsdt.h).
#include "core/acpi/dsdt.h"

#include <cstdio>

#include "core/acpi/cpu_hotplug_registers.h"
#include "core/acpi/madt.h"
#include "core/acpi/memory_hotplug_registers.h"
#include "core/acpi/pci_hotplug_registers.h"
#include "core/acpi/pm_registers.h"
#include "core/acpi/sdt.h"
#include "core/arch/x86_layout.h"

namespace petrel::acpi {

using namespace aml;  // NOLINT(google-build-using-namespace): AML reads best unqualified

namespace {

Term Com1(const AcpiConfig& config) {
  return Device("COM1", {
                            Name("_HID", EisaId("PNP0501")),
                            Name("_UID", Zero()),
                            Name("_CRS", ResourceTemplate({
                                             Io(x86::kCom1Port, x86::kCom1Port, 0, 8),
                                             IrqNoFlags(static_cast<uint8_t>(config.serial_irq)),
                                         })),
                        });
}

// The CMOS RTC as Linux expects it on a hardware-reduced platform (and as
// QEMU describes its mc146818rtc): PNP0B00 with its ports and ISA IRQ in
// _CRS. Without this device Linux registers a platform device with a fixed
// IRQ 8, which a hardware-reduced platform has not mapped (no legacy PIC, so
// no ISA IRQ identity mappings), and rtc_cmos fails with -EINVAL; through
// PNP the IRQ is registered from _CRS.
Term Rtc(const AcpiConfig& config) {
  return Device("RTC_", {
                            Name("_HID", EisaId("PNP0B00")),
                            Name("_UID", Zero()),
                            Name("_CRS", ResourceTemplate({
                                             Io(config.rtc_port, config.rtc_port, 1, 2),
                                             IrqNoFlags(static_cast<uint8_t>(config.rtc_irq)),
                                         })),
                        });
}

// The TPM 2.0 CRB device, as Cloud Hypervisor's TpmDevice: _HID the string
// "MSFT0101" (the TCG-assigned id for a TPM 2.0, which Linux's tpm_crb
// matches; not an EISA id) and the register page in _CRS. tpm_crb reads the
// start method and control area address from the TPM2 table (tpm2.h).
Term Tpm(uint64_t crb_base) {
  return Device("TPM2", {
                            Name("_HID", String("MSFT0101")),
                            Name("_STA", Int(kStaPresent)),
                            Name("_CRS", ResourceTemplate({
                                             Memory32Fixed(true, static_cast<uint32_t>(crb_base),
                                                           static_cast<uint32_t>(x86::kTpmCrbSize)),
                                         })),
                        });
}

Term PowerButton() {
  return Device("PWRB", {
                            Name("_HID", EisaId("PNP0C0C")),
                            Name("_UID", Zero()),
                        });
}

Term Ged(const AcpiConfig& config) {
  // _EVT(Arg0 = the GSI): read the event byte once, handle each bit.
  TermList evt = {Store(Path("GDAT"), Local(0))};
  if (config.cpu_hotplug_mmio != 0) {
    evt.push_back(If(LEqual(And(Local(0), Int(kGedCpuHotplug)), Int(kGedCpuHotplug)),
                     {Call("\\_SB_.CPUS.CSCN")}));
  }
  if (config.memory_hotplug_mmio) {
    evt.push_back(If(LEqual(And(Local(0), Int(kGedMemoryHotplug)), Int(kGedMemoryHotplug)),
                     {Call("\\_SB_.MHPC.MSCN")}));
  }
  if (config.pci_hotplug_mmio != 0) {
    evt.push_back(If(LEqual(And(Local(0), Int(kGedPciHotplug)), Int(kGedPciHotplug)),
                     {Call("\\_SB_.PHPR.PSCN")}));
  }
  evt.push_back(If(LEqual(And(Local(0), Int(kGedPowerButton)), Int(kGedPowerButton)),
                   {Notify(Path("\\_SB_.PWRB"), Int(kNotifyPowerButton))}));
  return Device(
      "GED_",
      {
          Name("_HID", String("ACPI0013")),
          Name("_UID", Zero()),
          Name("_CRS", ResourceTemplate({
                           Interrupt(Usage::kConsumer, Trigger::kEdge, Polarity::kActiveHigh,
                                     Sharing::kExclusive, {config.ged_irq}),
                       })),
          OpRegion("GDST", RegionSpace::kSystemMemory, Int(config.ged_mmio), Int(kGedMmioSize)),
          Field("GDST", FieldAccess::kByte, FieldLock::kNoLock, FieldUpdate::kWriteAsZeros,
                {{"GDAT", 8}}),
          Method("_EVT", 1, true, evt),
      });
}

// The CPU hot-plug controller (Cloud Hypervisor's \_SB_.PRES): its register
// block as fields, and the mutex every method takes around a CSEL write and
// the status access that follows it.
Term CpuHotplugController(const AcpiConfig& config) {
  return Device(
      "PRES",
      {
          Name("_HID", EisaId("PNP0A06")),  // generic container, as Cloud Hypervisor's
          Name("_UID", String("CPU Hotplug Controller")),
          Mutex("CPLK", 0),
          Name("_CRS", ResourceTemplate({QWordMemory(Usage::kConsumer, Cache::kNonCacheable, true,
                                                     config.cpu_hotplug_mmio,
                                                     config.cpu_hotplug_mmio + kCpuHotplugSize - 1)})),
          OpRegion("PRST", RegionSpace::kSystemMemory, Int(config.cpu_hotplug_mmio),
                   Int(kCpuHotplugSize)),
          Field("PRST", FieldAccess::kByte, FieldLock::kNoLock, FieldUpdate::kWriteAsZeros,
                {{"", kCpuStatusOffset * 8},
                 {"CPEN", 1},
                 {"CINS", 1},
                 {"CRMV", 1},
                 {"CEJ0", 1},
                 {"", 4},
                 {"CCMD", 8}}),
          Field("PRST", FieldAccess::kDWord, FieldLock::kNoLock, FieldUpdate::kPreserve,
                {{"CSEL", 32}, {"", 32}, {"CDAT", 32}}),
      });
}

// The methods under \_SB_.CPUS that drive the controller:
//   CSTA(i)     _STA of vCPU i: 0xF if CPEN, else 0
//   CTFY(i, v)  Notify(C<i>, v)
//   CEJ0(i)     eject vCPU i (its _EJ0)
//   CSCN()      the GED's CPU event: for every vCPU, Device Check (1) on
//               CINS and Eject Request (3) on CRMV, each acknowledged
TermList CpuHotplugMethods(const AcpiConfig& config) {
  const Term lock = Path("\\_SB_.PRES.CPLK");
  auto field = [](const char* name) { return Path(std::string("\\_SB_.PRES.") + name); };
  TermList notifies;
  for (uint32_t i = 0; i < config.max_vcpus; ++i) {
    notifies.push_back(If(LEqual(Arg(0), Int(i)), {Notify(Path(CpuDeviceName(i)), Arg(1))}));
  }
  return {
      Method("CSTA", 1, true,
             {
                 Acquire(lock, 0xFFFF),
                 Store(Arg(0), field("CSEL")),
                 Store(Zero(), Local(0)),
                 If(LEqual(field("CPEN"), One()), {Store(Int(kStaPresent), Local(0))}),
                 Release(lock),
                 Return(Local(0)),
             }),
      Method("CTFY", 2, true, notifies),
      Method("CEJ0", 1, true,
             {
                 Acquire(lock, 0xFFFF),
                 Store(Arg(0), field("CSEL")),
                 Store(One(), field("CEJ0")),
                 Release(lock),
             }),
      Method("CSCN", 0, true,
             {
                 Acquire(lock, 0xFFFF),
                 Store(Zero(), Local(0)),
                 While(LLess(Local(0), Int(config.max_vcpus)),
                       {
                           Store(Local(0), field("CSEL")),
                           If(LEqual(field("CINS"), One()),
                              {
                                  Call("CTFY", {Local(0), Int(kNotifyDeviceCheck)}),
                                  Store(One(), field("CINS")),
                              }),
                           If(LEqual(field("CRMV"), One()),
                              {
                                  Call("CTFY", {Local(0), Int(kNotifyEjectRequest)}),
                                  Store(One(), field("CRMV")),
                              }),
                           Increment(Local(0)),
                       }),
                 Release(lock),
             }),
  };
}

// The PCI hot-plug controller (Cloud Hypervisor's \_SB_.PHPR): its register
// block as DWord fields, the mutex BLCK every access of PSEG and the field
// that follows it takes, and
//   PCEJ(slot, segment)  eject: PSEG = segment, B0EJ = 1 << slot (a slot's _EJ0)
//   PSCN()               the GED's PCI event: each segment's PCNT (only PCI0)
Term PciHotplugController(const AcpiConfig& config) {
  return Device(
      "PHPR",
      {
          Name("_HID", EisaId("PNP0A06")),  // generic container, as Cloud Hypervisor's
          Name("_STA", Int(0x0B)),          // present, enabled, functioning; not shown
          Name("_UID", String("PCI Hotplug Controller")),
          Mutex("BLCK", 0),
          Name("_CRS", ResourceTemplate({QWordMemory(Usage::kConsumer, Cache::kNonCacheable, true,
                                                     config.pci_hotplug_mmio,
                                                     config.pci_hotplug_mmio + kPciHotplugSize - 1)})),
          OpRegion("PCST", RegionSpace::kSystemMemory, Int(config.pci_hotplug_mmio),
                   Int(kPciHotplugSize)),
          Field("PCST", FieldAccess::kDWord, FieldLock::kNoLock, FieldUpdate::kWriteAsZeros,
                {{"PCIU", 32}, {"PCID", 32}, {"B0EJ", 32}, {"PSEG", 32}}),
          Method("PCEJ", 2, true,
                 {
                     Acquire(Path("BLCK"), 0xFFFF),
                     Store(Arg(1), Path("PSEG")),
                     ShiftLeft(One(), Arg(0), Path("B0EJ")),
                     Release(Path("BLCK")),
                     Return(Zero()),
                 }),
          Method("PSCN", 0, true, {Call("\\_SB_.PCI0.PCNT")}),
      });
}

// The hot-plug objects inside PCI0, as Cloud Hypervisor's PciSegment has
// them: a slot device S001..S031 per PCI device 1..31 of bus 0 (not the host
// bridge at 0), which Linux's acpiphp takes for an ejectable slot (_ADR and
// _EJ0), and
//   DVNT(bits, v)  Notify(S<n>, v) for every slot n set in `bits`
//   PCNT()         select this segment, then Device Check (1) for each PCIU
//                  bit and Eject Request (3) for each PCID bit; each field is
//                  read once (the read clears it), as DVNT's argument
TermList PciHotplugSlots() {
  const Term lock = Path("\\_SB_.PHPR.BLCK");
  auto field = [](const char* name) { return Path(std::string("\\_SB_.PHPR.") + name); };
  TermList terms;
  TermList notifies;
  for (uint32_t slot = 1; slot < kPciHotplugSlots; ++slot) {
    const std::string name = PciSlotDeviceName(static_cast<uint8_t>(slot));
    // ACPI 6.4 6.1.1 _ADR: device in the high word, function 0 in the low.
    // 6.3.3 _EJ0(Arg0: 1 = hot eject).
    terms.push_back(Device(name, {
                                     Name("_SUN", Int(slot)),
                                     Name("_ADR", Int(slot << 16)),
                                     Method("_EJ0", 1, true,
                                            {Call("\\_SB_.PHPR.PCEJ", {Path("_SUN"), Path("_SEG")})}),
                                 }));
    const uint32_t mask = uint32_t{1} << slot;
    notifies.push_back(If(LEqual(And(Arg(0), Int(mask)), Int(mask)), {Notify(Path(name), Arg(1))}));
  }
  terms.push_back(Method("DVNT", 2, true, notifies));
  terms.push_back(Method("PCNT", 0, true,
                         {
                             Acquire(lock, 0xFFFF),
                             Store(Path("_SEG"), field("PSEG")),
                             Call("DVNT", {field("PCIU"), Int(kNotifyDeviceCheck)}),
                             Call("DVNT", {field("PCID"), Int(kNotifyEjectRequest)}),
                             Release(lock),
                         }));
  return terms;
}

// The memory hot-plug controller (Cloud Hypervisor's \_SB_.MHPC): its
// register block as fields, the mutex MLCK every method takes around an
// MSEL write and the accesses that follow it, a memory device per slot, and
//   MTFY(i, v)  Notify(M<i>, v)
//   MSCN()      the GED's memory event: for every slot, Device Check (1) on
//               MINS and Eject Request (3) on MRMV, each acknowledged
//   MSTA(i)     _STA of slot i: 0xF if MEN_, else 0
//   MCRS(i)     _CRS of slot i: a QWordMemory of its range
//   MDEJ(i)     eject slot i (its _EJ0; Cloud Hypervisor has no eject)
// Cloud Hypervisor's MCRS adds the 32-bit halves apart and carries by hand,
// which loses the carry out of the low halves when the length's high half is
// not zero (base = length = 6 GiB gives _MAX 8 GiB - 1); the DSDT's integers
// are 64-bit (revision 2 and later), so Petrel's MCRS joins the halves and
// adds once.
Term MemoryHotplugController(const AcpiConfig& config) {
  const uint64_t mmio = *config.memory_hotplug_mmio;
  const uint32_t slots = config.memory_hotplug_slots;
  const Term lock = Path("MLCK");
  TermList notifies;
  for (uint32_t i = 0; i < slots; ++i) {
    notifies.push_back(If(LEqual(Arg(0), Int(i)), {Notify(Path(MemorySlotDeviceName(i)), Arg(1))}));
  }
  // ACPI 6.4 6.4.3.5.1 QWord Address Space Descriptor: _MIN at byte 14,
  // _MAX at 22, _LEN at 38. The range as Cloud Hypervisor's and QEMU's
  // (producer, cacheable, read-write); MCRS fills in the three.
  constexpr uint64_t kMinOffset = 14, kMaxOffset = 22, kLenOffset = 38;
  TermList device = {
      Name("_HID", EisaId("PNP0A06")),  // generic container, as Cloud Hypervisor's
      Name("_UID", String("Memory Hotplug Controller")),
      Mutex("MLCK", 0),
      Name("_CRS", ResourceTemplate({QWordMemory(Usage::kConsumer, Cache::kNonCacheable, true, mmio,
                                                 mmio + kMemoryHotplugSize - 1)})),
      OpRegion("MHPR", RegionSpace::kSystemMemory, Int(mmio), Int(kMemoryHotplugSize)),
      Field("MHPR", FieldAccess::kDWord, FieldLock::kNoLock, FieldUpdate::kPreserve,
            {{"MHBL", 32}, {"MHBH", 32}, {"MHLL", 32}, {"MHLH", 32}, {"MHPX", 32}}),
      Field("MHPR", FieldAccess::kByte, FieldLock::kNoLock, FieldUpdate::kWriteAsZeros,
            {{"", kMemoryStatusOffset * 8},
             {"MEN_", 1},
             {"MINS", 1},
             {"MRMV", 1},
             {"MEJ0", 1}}),
      Field("MHPR", FieldAccess::kDWord, FieldLock::kNoLock, FieldUpdate::kPreserve,
            {{"MSEL", 32}}),
      Method("MTFY", 2, true, notifies),
      Method("MSCN", 0, true,
             {
                 Acquire(lock, 0xFFFF),
                 Store(Zero(), Local(0)),
                 While(LLess(Local(0), Int(slots)),
                       {
                           Store(Local(0), Path("MSEL")),
                           If(LEqual(Path("MINS"), One()),
                              {
                                  Call("MTFY", {Local(0), Int(kNotifyDeviceCheck)}),
                                  Store(One(), Path("MINS")),
                              }),
                           If(LEqual(Path("MRMV"), One()),
                              {
                                  Call("MTFY", {Local(0), Int(kNotifyEjectRequest)}),
                                  Store(One(), Path("MRMV")),
                              }),
                           Increment(Local(0)),
                       }),
                 Release(lock),
             }),
      Method("MSTA", 1, true,
             {
                 Acquire(lock, 0xFFFF),
                 Store(Arg(0), Path("MSEL")),
                 Store(Zero(), Local(0)),
                 If(LEqual(Path("MEN_"), One()), {Store(Int(kStaPresent), Local(0))}),
                 Release(lock),
                 Return(Local(0)),
             }),
      Method("MCRS", 1, true,
             {
                 Acquire(lock, 0xFFFF),
                 Store(Arg(0), Path("MSEL")),
                 Name("MR64", ResourceTemplate({QWordMemory(Usage::kProducer, Cache::kCacheable,
                                                            true, 0, 0xFFFF'FFFF'FFFF'FFFE)})),
                 CreateQWordField(Path("MR64"), Int(kMinOffset), "MINL"),
                 CreateQWordField(Path("MR64"), Int(kMaxOffset), "MAXL"),
                 CreateQWordField(Path("MR64"), Int(kLenOffset), "LENL"),
                 Or(ShiftLeft(Path("MHBH"), Int(32)), Path("MHBL"), Path("MINL")),
                 Or(ShiftLeft(Path("MHLH"), Int(32)), Path("MHLL"), Path("LENL")),
                 Add(Path("MINL"), Path("LENL"), Path("MAXL")),
                 Decrement(Path("MAXL")),
                 Release(lock),
                 Return(Path("MR64")),
             }),
      Method("MDEJ", 1, true,
             {
                 Acquire(lock, 0xFFFF),
                 Store(Arg(0), Path("MSEL")),
                 Store(One(), Path("MEJ0")),
                 Release(lock),
             }),
  };
  for (uint32_t i = 0; i < slots; ++i) {
    // ACPI 6.4 9.13 Memory Devices: PNP0C80. 6.3.3 _EJ0(Arg0: 1 = hot eject).
    device.push_back(Device(MemorySlotDeviceName(i),
                            {
                                Name("_HID", EisaId("PNP0C80")),
                                Name("_UID", Int(i)),
                                Method("_STA", 0, false, {Return(Call("MSTA", {Int(i)}))}),
                                Method("_CRS", 0, false, {Return(Call("MCRS", {Int(i)}))}),
                                Method("_EJ0", 1, false, {Call("MDEJ", {Int(i)})}),
                            }));
  }
  return Device("MHPC", device);
}

// PCI segment 0's host bridge (PCI Firmware 3.2 §4.1.1: PNP0A08 with the
// PNP0A03 compatible id). _CRS lists what the bridge decodes: bus numbers,
// the 0xCF8 config ports, the I/O space around them, and the 32- and 64-bit
// BAR windows. No _PRT: Petrel's PCI devices interrupt through MSI-X only.
Term PciHostBridge(const PciHostConfig& pci, bool hotplug) {
  std::vector<Resource> crs = {
      WordBusNumber(Usage::kProducer, 0, pci.end_bus),
      Io(x86::kPciConfigPort, x86::kPciConfigPort, 1, 8),
      DWordIo(Usage::kProducer, 0x0000, x86::kPciConfigPort - 1),
      DWordIo(Usage::kProducer, x86::kPciConfigPort + 8, 0xFFFF),
      DWordMemory(Usage::kProducer, Cache::kNonCacheable, true, pci.mmio32_start, pci.mmio32_end),
  };
  if (pci.mmio64_start != 0) {
    crs.push_back(QWordMemory(Usage::kProducer, Cache::kNonCacheable, true, pci.mmio64_start,
                              pci.mmio64_end));
  }
  TermList bridge = {
      Name("_HID", EisaId("PNP0A08")),
      Name("_CID", EisaId("PNP0A03")),
      Name("_SEG", Zero()),
      Name("_UID", Zero()),
      Name("_BBN", Zero()),
      Name("_CCA", One()),  // 6.2.17: DMA is cache coherent
      Name("_CRS", ResourceTemplate(crs)),
  };
  if (hotplug) {
    for (Term& term : PciHotplugSlots()) bridge.push_back(std::move(term));
  }
  return Device("PCI0", bridge);
}

Term MotherboardResources(const AcpiConfig& config) {
  std::vector<Resource> res;
  if (config.pci) {
    // PCI Firmware 3.2 §4.1.2: the ECAM window is reserved by a PNP0C02 device.
    res.push_back(Memory32Fixed(false, static_cast<uint32_t>(config.pci->ecam_base),
                                static_cast<uint32_t>((uint64_t{config.pci->end_bus} + 1) << 20)));
  }
  res.push_back(Io(config.pm_port, config.pm_port, 1, kPmPortCount));
  if (config.pm_timer_port != 0) {
    res.push_back(Io(config.pm_timer_port, config.pm_timer_port, 4, kPmTimerPortCount));
  }
  if (config.ged_mmio != 0) {
    const uint64_t last = config.ged_mmio + kGedMmioSize - 1;
    if (last <= 0xFFFF'FFFF) {
      res.push_back(Memory32Fixed(true, static_cast<uint32_t>(config.ged_mmio),
                                  static_cast<uint32_t>(kGedMmioSize)));
    } else {
      res.push_back(
          QWordMemory(Usage::kConsumer, Cache::kNonCacheable, true, config.ged_mmio, last));
    }
  }
  return Device("MBRD", {
                            Name("_HID", EisaId("PNP0C02")),
                            Name("_UID", Zero()),
                            Name("_CRS", ResourceTemplate(res)),
                        });
}

Term Processors(const AcpiConfig& config) {
  TermList cpus = {
      Name("_HID", String("ACPI0010")),
      Name("_CID", EisaId("PNP0A05")),  // ACPI 6.4 8.4.2.1: generic container
  };
  const bool hotplug = config.cpu_hotplug_mmio != 0;
  if (hotplug) {
    for (Term& method : CpuHotplugMethods(config)) cpus.push_back(std::move(method));
  }
  for (uint32_t i = 0; i < config.max_vcpus; ++i) {
    // _MAT returns this processor's MADT structure, enabled: it describes the
    // processor as it is when present (Linux's map_mat_entry() skips disabled ones).
    const std::vector<uint8_t> mat = MadtProcessorEntry(i, ApicIdOf(config, i), kLapicEnabled);
    TermList cpu = {
        Name("_HID", String("ACPI0007")),
        Name("_UID", Int(i)),
        Method("_STA", 0, false,
               {hotplug ? Return(Call("CSTA", {Int(i)}))
                        : Return(Int(i < config.boot_vcpus ? kStaPresent : kStaAbsent))}),
        Method("_MAT", 0, false, {Return(Buffer(mat))}),
    };
    // ACPI 6.4 6.3.3 _EJ0(Arg0: 1 = hot eject).
    if (hotplug) cpu.push_back(Method("_EJ0", 1, false, {Call("CEJ0", {Int(i)})}));
    cpus.push_back(Device(CpuDeviceName(i), cpu));
  }
  return Device("CPUS", cpus);
}

}  // namespace

std::string CpuDeviceName(uint32_t index) {
  char name[8];
  std::snprintf(name, sizeof name, "C%03X", index & 0xFFF);
  return name;
}

std::string PciSlotDeviceName(uint8_t slot) {
  char name[8];
  std::snprintf(name, sizeof name, "S%03u", unsigned{slot});
  return name;
}

std::string MemorySlotDeviceName(uint32_t slot) {
  char name[8];
  std::snprintf(name, sizeof name, "M%03u", slot % 1000);
  return name;
}

TermList DsdtTerms(const AcpiConfig& config) {
  TermList sb;
  if (config.serial) sb.push_back(Com1(config));
  if (config.rtc) sb.push_back(Rtc(config));
  if (config.tpm_crb_mmio) sb.push_back(Tpm(*config.tpm_crb_mmio));
  sb.push_back(PowerButton());
  if (config.ged_mmio != 0) sb.push_back(Ged(config));
  if (config.cpu_hotplug_mmio != 0) sb.push_back(CpuHotplugController(config));
  const bool pci_hotplug = config.pci && config.pci_hotplug_mmio != 0;
  if (pci_hotplug) sb.push_back(PciHotplugController(config));
  if (config.memory_hotplug_mmio) sb.push_back(MemoryHotplugController(config));
  sb.push_back(MotherboardResources(config));
  if (config.pci) sb.push_back(PciHostBridge(*config.pci, pci_hotplug));
  sb.push_back(Processors(config));
  return {
      Scope("\\_SB_", sb),
      // 7.4.2 \_Sx: SLP_TYPa, SLP_TYPb, reserved, reserved.
      Name("_S5_", Package({Int(kSleepTypeS5), Zero(), Zero(), Zero()})),
  };
}

std::vector<uint8_t> BuildDsdt(const AcpiConfig& config) {
  Sdt t("DSDT", kDsdtRevision, "PTDSDT");
  t.Append(Encode(DsdtTerms(config)));
  return std::move(t).Finish();
}

}  // namespace petrel::acpi
