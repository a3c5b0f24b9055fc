// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VmInstance (see vm_instance.h).
#include "vmm/vm_instance.h"

#include <algorithm>

#include "core/acpi/tables.h"
#include "core/arch/boot_msrs.h"
#include "core/arch/cpu_topology.h"
#include "core/arch/cpuid.h"
#include "core/arch/x86_layout.h"
#include "core/base/log.h"
#include "core/boot/linux_loader.h"
#include "core/event/epoll_event_loop.h"
#include "devices/acpi/cpu_hotplug_controller.h"
#include "devices/pvpanic/pvpanic.h"
#include "devices/testdev/test_device.h"
#include "vmm/config/device_ids.h"
#include "vmm/file_image.h"
#include "vmm/guest_ram.h"
#include "vmm/numa_nodes.h"

namespace petrel::vmm {
namespace {

// The --cpus topology (Cloud Hypervisor's default 1:max:1:1 when absent).
x86::CpuTopology Topology(const config::CpusConfig& cpus) {
  const config::CpuTopology t = config::EffectiveTopology(cpus);
  return {t.threads_per_core, t.cores_per_die, t.dies_per_package, t.packages};
}

// Writes the ACPI tables into guest memory, at acpi::kRsdpAddress.
// `pcat_compat`: the VM has the 8259 PICs (the backend's own IOAPIC);
// `iommu`: the virtio-iommu and the devices behind it (the VIOT table).
Result<void> WriteAcpi(const config::VmConfig& config, GuestMemory& memory, bool pcat_compat,
                       std::optional<acpi::AcpiConfig::Iommu> iommu) {
  const bool has_serial = config.serial.mode != config::OutputMode::kOff;
  acpi::AcpiConfig acpi_config =
      PlatformAcpiConfig(config.cpus.boot_vcpus, Topology(config.cpus), has_serial);
  acpi_config.pci = PciHostWindows(memory.regions().back().end());
  // PCI hot-plug (vm.add-*, vm.remove-device), on every VM as on CH's.
  acpi_config.pci_hotplug_mmio = x86::kAcpiPciHotplugStart;
  if (config.memory.acpi_hotplug()) {
    acpi_config.memory_hotplug_mmio = x86::kAcpiMemoryHotplugStart;  // \_SB_.MHPC
  }
  acpi_config.pcat_compat = pcat_compat;
  if (config.tpm) acpi_config.tpm_crb_mmio = x86::kTpmCrbStart;  // TPM2 table, \_SB_.TPM2
  acpi_config.numa_nodes = GuestNumaNodes(config, memory, acpi_config.apic_ids);  // SRAT, SLIT
  acpi_config.iommu = std::move(iommu);  // VIOT
  PETREL_ASSIGN_OR_RETURN(auto acpi_tables, acpi::WriteAcpiTables(memory, acpi_config)
                                                .Wrap("writing ACPI tables"));
  if (acpi_tables.rsdp_addr != acpi::kRsdpAddress) {
    return Error(ErrorCode::kInternal, "the ACPI tables' RSDP is not where the kernel was told");
  }
  return Ok();
}

// Writes the kernel, initramfs and command line into guest memory (the
// boot parameters point at the RSDP WriteAcpi writes later); returns the
// boot vCPU's state.
Result<boot::LoadedKernel> LoadPayload(const config::VmConfig& config, GuestMemory& memory) {
  PETREL_ASSIGN_OR_RETURN(FileImage kernel, FileImage::Open(config.payload.kernel, "kernel"));
  FileImage initramfs;
  if (!config.payload.initramfs.empty()) {
    PETREL_ASSIGN_OR_RETURN(initramfs, FileImage::Open(config.payload.initramfs, "initramfs"));
  }
  boot::LinuxBootConfig boot_config;
  boot_config.kernel = kernel.bytes();
  boot_config.initramfs = initramfs.bytes();
  boot_config.cmdline = config.payload.cmdline;
  boot_config.vcpus = config.cpus.boot_vcpus;
  boot_config.rsdp_addr = acpi::kRsdpAddress;
  PETREL_ASSIGN_OR_RETURN(auto loaded,
                          boot::LoadLinux(memory, boot_config).Wrap(config.payload.kernel));
  PETREL_LOG(kInfo) << "loaded "
                    << (loaded.format == boot::KernelFormat::kPvhElf ? "PVH ELF" : "bzImage")
                    << " kernel, entry 0x" << std::hex << loaded.entry;
  return loaded;
}

}  // namespace

isolation::SyscallRules VmInstance::VcpuThreadSyscalls() const {
  // The hypervisor's vCPU needs, and the device handlers' its exits reach:
  // the UART's console output, posts and watches on event loops (RTC
  // alarms, virtio doorbells, stop requests), eventfds for MSI vectors.
  isolation::SyscallRules rules = hypervisor_->ThreadSyscalls(hv::ThreadKind::kVcpu);
  rules.Add(EpollEventLoop::ThreadSyscalls());
  rules.Add(ConsoleOutputSyscalls());
  return rules;
}

Result<std::unique_ptr<VmInstance>> VmInstance::Create(const config::VmConfig& config,
                                                       const HypervisorFactory& open_hypervisor,
                                                       VmOptions options) {
  std::unique_ptr<VmInstance> vm(new VmInstance());

  const VmSnapshotState* restore = options.restore;
  if (restore != nullptr && restore->vcpus.size() != config.cpus.boot_vcpus) {
    return Error(ErrorCode::kInvalidArgument,
                 "the snapshot has " + std::to_string(restore->vcpus.size()) +
                     " vCPUs, the config " + std::to_string(config.cpus.boot_vcpus));
  }
  const uint64_t hotplug_area = config.memory.hotplug_area_size();
  const uint64_t guest_bytes = config.memory.boot_size() + hotplug_area;
  if (options.memory) {
    // A snapshot's or a migration's memory. With zones or a hot-plug area,
    // it takes the layout its config implies (its ranges say neither which
    // is an area nor whose zone); otherwise its size must be the config's.
    if (config.memory.user_zones() || hotplug_area != 0) {
      PETREL_ASSIGN_OR_RETURN(vm->memory_, LayOutGuestRam(*options.memory, config.memory));
    } else if (options.memory->total_size() != guest_bytes) {
      return Error(ErrorCode::kInvalidArgument,
                   "guest memory of " + std::to_string(options.memory->total_size()) +
                       " bytes for a VM of " + std::to_string(guest_bytes));
    } else {
      vm->memory_ = std::move(options.memory);
    }
  } else {
    PETREL_ASSIGN_OR_RETURN(vm->memory_, CreateGuestRam(config.memory));
  }

  // The payload first: it needs only guest memory, and its errors are the
  // user's to fix whatever the host. A restored VM's memory holds it.
  // A restored VM keeps the irqchip it was saved with.
  const bool userspace_ioapic =
      restore != nullptr ? restore->ioapic.has_value() : options.userspace_ioapic;
  boot::LoadedKernel loaded{};
  if (restore == nullptr) {
    PETREL_ASSIGN_OR_RETURN(loaded, LoadPayload(config, *vm->memory_));
  }

  PETREL_ASSIGN_OR_RETURN(vm->hypervisor_, open_hypervisor());
  hv::VmConfig vm_config;
  // Every vCPU the VM may ever have: hot-plug creates the rest later.
  vm_config.vcpus = config.cpus.max_vcpus;
  vm_config.userspace_ioapic = userspace_ioapic;
  PETREL_ASSIGN_OR_RETURN(vm->vm_, vm->hypervisor_->CreateVm(vm_config).Wrap("creating VM"));
  PETREL_TRY(vm->vm_->MapMemory(vm->memory_).Wrap("mapping guest memory"));
  if (options.monotonic_clock != nullptr) vm->monotonic_clock_ = options.monotonic_clock;
  if (options.sandbox != nullptr) vm->sandbox_ = options.sandbox;
  if (options.wall_clock != nullptr) vm->wall_clock_ = options.wall_clock;
  // Devices make their interrupts through device_vm_: with --record-io a
  // RecordingVm, so each interrupt joins the trace on the accesses' time base.
  vm->device_vm_ = vm->vm_.get();
  const uint64_t trace_start_ns = vm->monotonic_clock_->NowNs();
  if (options.io_trace != nullptr) {
    vm->recording_vm_ = std::make_unique<RecordingVm>(vm->vm_, *options.io_trace,
                                                      *vm->monotonic_clock_, trace_start_ns);
    vm->device_vm_ = vm->recording_vm_.get();
  }
  PETREL_ASSIGN_OR_RETURN(vm->interrupts_, InterruptPlatform::Create(*vm->device_vm_, vm->io_));
  if (options.control_loop != nullptr) {
    vm->loop_ = options.control_loop;
  } else {
    PETREL_ASSIGN_OR_RETURN(vm->own_loop_, EpollEventLoop::Create(*vm->monotonic_clock_));
    vm->loop_ = vm->own_loop_.get();
  }
  if (options.serial_output_override) {
    vm->serial_output_ = std::move(options.serial_output_override);
  } else {
    PETREL_ASSIGN_OR_RETURN(vm->serial_output_,
                            OpenConsoleOutput(config.serial, "--serial", vm->loop_));
  }
  if (config.console.mode != config::OutputMode::kOff) {
    if (options.console_output_override) {
      vm->console_output_ = std::move(options.console_output_override);
    } else {
      PETREL_ASSIGN_OR_RETURN(vm->console_output_,
                              OpenConsoleOutput(config.console, "--console", vm->loop_));
    }
  }

  VmInstance* self = vm.get();
  LegacyPlatformArgs pargs{};
  pargs.interrupts = vm->interrupts_.get();
  pargs.io = &vm->io_;
  pargs.memory = vm->memory_.get();
  pargs.serial_output = vm->serial_output_.get();
  pargs.on_reset = [self] { self->OnStop({StopReason::Kind::kReset, "i8042 reset"}); };
  pargs.wall_clock = vm->wall_clock_;
  pargs.monotonic_clock = vm->monotonic_clock_;
  pargs.loop = vm->loop_;
  if (options.cmos_state) pargs.cmos_state = &*options.cmos_state;
  PETREL_ASSIGN_OR_RETURN(vm->platform_, LegacyPlatform::Create(pargs));

  AcpiPlatformArgs aargs{};
  aargs.interrupts = vm->interrupts_.get();
  aargs.io = &vm->io_;
  aargs.on_power_off = [self] { self->OnStop({StopReason::Kind::kPowerOff, "ACPI S5 power off"}); };
  aargs.on_reset = [self] { self->OnStop({StopReason::Kind::kReset, "ACPI reset register"}); };
  aargs.monotonic_clock = vm->monotonic_clock_;
  aargs.boot_vcpus = config.cpus.boot_vcpus;
  aargs.max_vcpus = config.cpus.max_vcpus;
  aargs.on_vcpu_ejected = [self, token = std::weak_ptr<int>(vm->alive_)](uint32_t index) {
    // On the ejected vCPU's own thread, which cannot join itself: the VM
    // thread ends it.
    Result<void> posted = self->loop_->Post([self, token, index] {
      if (!token.expired()) self->UnplugVcpu(index);
    });
    if (!posted.ok()) {
      PETREL_LOG(kError) << "vcpu " << index << ": " << posted.error().message();
    }
  };
  aargs.on_pci_ejected = [self, token = std::weak_ptr<int>(vm->alive_)](uint8_t slot) {
    // On the vCPU thread that wrote B0EJ: the VM thread tears the device down.
    Result<void> posted = self->loop_->Post([self, token, slot] {
      if (!token.expired()) self->UnplugPciDevice(slot);
    });
    if (!posted.ok()) {
      PETREL_LOG(kError) << "PCI slot " << int{slot} << ": " << posted.error().message();
    }
  };
  aargs.memory_hotplug = config.memory.acpi_hotplug();
  aargs.on_memory_ejected = [self, token = std::weak_ptr<int>(vm->alive_)](
                                uint32_t slot, uint64_t base, uint64_t length) {
    // On the vCPU thread that wrote MEJ0: the VM thread gives the memory back.
    Result<void> posted = self->loop_->Post([self, token, slot, base, length] {
      if (!token.expired()) self->UnplugDimm(slot, base, length);
    });
    if (!posted.ok()) {
      PETREL_LOG(kError) << "memory DIMM " << slot << ": " << posted.error().message();
    }
  };
  PETREL_ASSIGN_OR_RETURN(vm->acpi_, AcpiPlatform::Create(aargs));
  if (config.test_device) PETREL_TRY(vm->PlaceTestDevice());

  PETREL_ASSIGN_OR_RETURN(
      vm->pci_, PciPlatform::Create(vm->io_, PciHostWindows(vm->memory_->regions().back().end())));
  WorkerFactory* workers = options.device_workers;
  if (workers == nullptr) {
    vm->thread_workers_ = std::make_unique<ThreadWorkers>(*vm->monotonic_clock_, *vm->sandbox_);
    workers = vm->thread_workers_.get();
  }
  VirtioDevicesArgs vargs{&config,         vm->memory_,   workers,
                          &vm->io_,        vm->device_vm_, vm->pci_.get(),
                          vm->console_output_.get(), options.random, options.events};
  vargs.worker_syscalls = vm->hypervisor_->ThreadSyscalls(hv::ThreadKind::kDeviceWorker);
  vargs.on_watchdog_expired = [self](const std::string& why) {
    self->OnStop({StopReason::Kind::kReset, why});
  };
  if (restore != nullptr) {
    // Each device where the guest saw it (hot-plug may have left holes).
    for (const VirtioDeviceSnapshot& d : restore->virtio) {
      if (d.slot) vargs.slots[d.id] = *d.slot;
      // A pmem's memory where the guest had it (hot-plug may have moved
      // what the lowest free range would be).
      if (const auto* pmem = std::get_if<virtio::PmemDeviceState>(&d.device)) {
        vargs.pmem_addresses[d.id] = pmem->start;
      }
    }
  }
  vm->virtio_ = std::make_unique<VirtioDevices>();
  PETREL_TRY(vm->virtio_->PlaceAll(vargs));
  // After the virtio devices, as CH's DeviceManager adds it.
  if (config.pvpanic) {
    std::optional<uint8_t> slot;
    if (restore != nullptr && restore->pvpanic) slot = restore->pvpanic->slot;
    PETREL_TRY(vm->PlacePvpanic(options.events, slot).Wrap("--pvpanic"));
  }
  if (config.tpm) {
    const tpm::SwtpmState* saved =
        restore != nullptr && restore->tpm ? &restore->tpm->swtpm : nullptr;
    PETREL_TRY(vm->PlaceTpm(*config.tpm, *workers, saved).Wrap("--tpm"));
  }
  if (restore != nullptr) {
    PETREL_TRY(vm->RestoreDevices(*restore).Wrap("restoring devices"));
  } else {
    // Once the devices are placed: the VIOT names the BDFs behind the IOMMU.
    PETREL_TRY(WriteAcpi(config, *vm->memory_, !userspace_ioapic, vm->virtio_->iommu_topology()));
  }

  PETREL_TRY(vm->CreateVcpus(config, loaded.vcpu, restore));
  if (restore != nullptr) {
    // The clock is set at Resume(), as after a pause; the rest now.
    hv::VmState vm_state = restore->vm;
    vm->saved_clock_ = vm_state.clock;
    vm_state.clock.reset();
    PETREL_TRY(vm->vm_->RestoreState(vm_state).Wrap("restoring the VM state"));
    vm->start_paused_ = true;
  }

  if (options.io_trace != nullptr) {
    vm->recording_io_ = std::make_unique<RecordingGuestIo>(vm->io_, *options.io_trace,
                                                           *vm->monotonic_clock_, trace_start_ns);
  }
  vm->attach_input_ = options.attach_input;
  vm->vcpu_runner_ = options.vcpu_runner;
  vm->hide_paused_time_ = options.hide_paused_time;
  vm->pause_timeout_ = options.pause_timeout;
  return vm;
}

Result<void> VmInstance::RestoreDevices(const VmSnapshotState& state) {
  // Workers stay stopped until Resume(): a restored device activates (posts
  // to its worker) but touches no queue while the VM is paused.
  virtio_->PauseWorkers();
  PETREL_TRY(interrupts_->Restore(state.ioapic));
  PETREL_TRY(platform_->Restore(state.legacy));
  PETREL_TRY(acpi_->Restore(state.acpi));
  PETREL_TRY(pci_->Restore(state.pci));
  const auto placed = virtio_->devices();
  if (placed.size() != state.virtio.size()) {
    return Error(ErrorCode::kInvalidArgument,
                 "the snapshot has " + std::to_string(state.virtio.size()) +
                     " virtio devices, the config " + std::to_string(placed.size()));
  }
  // The virtio-iommu's mappings before every other device: a transport
  // behind it checks its rings through them (they are IOVAs).
  std::vector<const VirtioDeviceSnapshot*> order;
  for (const VirtioDeviceSnapshot& saved : state.virtio) {
    if (saved.id == config::kIommuDeviceId) order.insert(order.begin(), &saved);
    else order.push_back(&saved);
  }
  for (const VirtioDeviceSnapshot* saved : order) {
    // By id: a device hot-plugged before the snapshot is last in the
    // snapshot but in the config's order here.
    auto it = std::find_if(placed.begin(), placed.end(),
                           [&](const VirtioDevices::Placed& p) { return p.name == saved->id; });
    if (it == placed.end()) {
      return Error(ErrorCode::kInvalidArgument,
                   "the snapshot's virtio device '" + saved->id + "' is not in the config");
    }
    // The type's state first: the transport's Restore activates the device.
    PETREL_TRY(it->restore_type(saved->device).Wrap(it->name));
    PETREL_TRY(it->device->Restore(saved->transport).Wrap(it->name));
  }
  if (state.pvpanic.has_value() != (pvpanic_ != nullptr)) {
    return Error(ErrorCode::kInvalidArgument,
                 state.pvpanic ? "the snapshot has a pvpanic device, the config none"
                               : "the config has a pvpanic device, the snapshot none");
  }
  if (pvpanic_) PETREL_TRY(pvpanic_->Restore(state.pvpanic->config).Wrap(config::kPvpanicDeviceId));
  if (state.tpm.has_value() != (tpm_ != nullptr)) {
    return Error(ErrorCode::kInvalidArgument,
                 state.tpm ? "the snapshot has a TPM, the config none"
                           : "the config has a TPM (--tpm), the snapshot none");
  }
  if (tpm_) PETREL_TRY(tpm_->Restore(state.tpm->crb).Wrap("tpm"));
  pci_->MapDecodedBars();
  return Ok();
}

Result<void> VmInstance::PlacePvpanic(VmmEvents* events, std::optional<uint8_t> slot) {
  PvpanicDevice::EventSink sink;
  if (events != nullptr) {
    // CH: event!("guest", "panic", "event", &event).
    sink = [events](std::string_view event) {
      events->Emit("guest", "panic", {{"event", std::string(event)}});
    };
  }
  auto device = std::make_shared<PvpanicDevice>(*monotonic_clock_, std::move(sink));
  PETREL_ASSIGN_OR_RETURN(pvpanic_slot_, pci_->AddDevice(device, slot));
  pvpanic_ = std::move(device);
  PETREL_LOG(kInfo) << config::kPvpanicDeviceId << ": PCI 00:" << std::hex << int{pvpanic_slot_}
                    << ".0";
  return Ok();
}

Result<void> VmInstance::PlaceTpm(const tpm::TpmConfig& config, WorkerFactory& workers,
                                  const tpm::SwtpmState* restore) {
  PETREL_ASSIGN_OR_RETURN(tpm_backend_, tpm::SwtpmBackend::Connect(config.socket, {}, restore));
  isolation::SyscallRules syscalls = hypervisor_->ThreadSyscalls(hv::ThreadKind::kDeviceWorker);
  syscalls.Add(tpm::SwtpmBackend::WorkerSyscalls());
  PETREL_ASSIGN_OR_RETURN(
      tpm_worker_, workers.Create(
                       "tpm", [](const std::string& what) { PETREL_LOG(kError) << "tpm: " << what; },
                       syscalls));
  tpm_ = std::make_shared<tpm::TpmCrb>(x86::kTpmCrbStart, *tpm_backend_, tpm_worker_->loop());
  PETREL_ASSIGN_OR_RETURN(tpm_mmio_, io_.mmio().Insert(x86::kTpmCrbStart, x86::kTpmCrbSize, tpm_));
  PETREL_TRY(tpm_worker_->Start());
  PETREL_LOG(kInfo) << "tpm: TPM 2.0 (CRB at 0x" << std::hex << x86::kTpmCrbStart << std::dec
                    << "), swtpm at " << config.socket;
  return Ok();
}

Result<void> VmInstance::PlaceTestDevice() {
  PETREL_ASSIGN_OR_RETURN(auto irq, interrupts_->Line(x86::kTestDeviceIrq));
  PETREL_ASSIGN_OR_RETURN(auto msi, device_vm_->CreateMsiInterrupt());
  auto device = std::make_shared<TestDevice>(std::move(irq), std::move(msi));
  PETREL_ASSIGN_OR_RETURN(auto mmio, io_.mmio().Insert(x86::kTestDeviceStart, TestDevice::kMmioSize,
                                                       device->mmio()));
  test_device_.push_back(std::move(mmio));
  PETREL_ASSIGN_OR_RETURN(auto ports, io_.pio().Insert(x86::kTestDevicePort, TestDevice::kPortSize,
                                                       device->ports()));
  test_device_.push_back(std::move(ports));
  return Ok();
}

Result<void> VmInstance::CreateVcpus(const config::VmConfig& config,
                                     const hv::BootVcpuState& boot_state,
                                     const VmSnapshotState* restore) {
  PETREL_ASSIGN_OR_RETURN(supported_cpuid_, hypervisor_->SupportedCpuid());
  const auto msrs = x86::BootMsrs();
  topology_ = Topology(config.cpus);
  const x86::CpuTopology& topology = topology_;
  for (uint32_t index = 0; index < config.cpus.max_vcpus; ++index) {
    apic_ids_.push_back(topology.ApicId(index));
  }
  unplugged_vcpus_.resize(config.cpus.max_vcpus);
  for (uint32_t index = 0; index < config.cpus.boot_vcpus; ++index) {
    // The backend's vCPU id is the APIC id (KVM's in-kernel LAPIC takes it
    // from there), which equals the index unless the topology's counts are
    // not powers of two.
    const uint32_t id = topology.ApicId(index);
    PETREL_ASSIGN_OR_RETURN(auto vcpu,
                            vm_->CreateVcpu(id).Wrap("creating vcpu " + std::to_string(id)));
    auto cpuid = x86::BuildGuestCpuid(supported_cpuid_, index, topology);
    PETREL_TRY(vcpu->SetCpuid(cpuid).Wrap("setting CPUID"));
    if (restore != nullptr) {
      PETREL_TRY(vcpu->RestoreState(restore->vcpus[index])
                     .Wrap("restoring vcpu " + std::to_string(id)));
      pending_vcpus_.push_back(std::move(vcpu));
      continue;
    }
    PETREL_TRY(vcpu->SetMsrs(msrs).Wrap("setting boot MSRs"));
    if (index == 0) {
      // Application processors wait for INIT/SIPI from the boot processor.
      PETREL_TRY(vcpu->SetSregs(boot_state.sregs).Wrap("setting boot sregs"));
      PETREL_TRY(vcpu->SetRegs(boot_state.regs).Wrap("setting boot regs"));
      PETREL_TRY(vcpu->SetFpu(boot_state.fpu).Wrap("setting boot FPU state"));
    }
    pending_vcpus_.push_back(std::move(vcpu));
  }
  return Ok();
}

Result<void> VmInstance::InjectNmi() {
  // Intel SDM Vol. 3 section 11.11.1: the MSI address selects the
  // destination APIC id (bits 19:12); section 11.11.2: data bits 10:8 = 100b
  // is delivery mode NMI (the vector is ignored).
  constexpr uint64_t kMsiAddressBase = 0xFEE0'0000;
  constexpr uint32_t kMsiDeliveryNmi = 0b100u << 8;
  std::lock_guard lock(nmi_mu_);
  if (nmi_.empty()) {
    for (uint32_t apic_id : apic_ids_) {
      if (apic_id > 0xFF) {
        return Error(ErrorCode::kUnsupported,
                     "NMI to APIC id " + std::to_string(apic_id) + " (above 255)");
      }
      PETREL_ASSIGN_OR_RETURN(auto msi, vm_->CreateMsiInterrupt().Wrap("creating the NMI route"));
      PETREL_TRY(msi->SetMessage({kMsiAddressBase | (uint64_t{apic_id} << 12), kMsiDeliveryNmi})
                     .Wrap("routing the NMI"));
      nmi_.push_back(std::move(msi));
    }
  }
  for (auto& msi : nmi_) msi->Signal();
  return Ok();
}

const char* VmRunStateName(VmRunState state) {
  switch (state) {
    case VmRunState::kCreated: return "Created";
    case VmRunState::kRunning: return "Running";
    case VmRunState::kPaused: return "Paused";
    case VmRunState::kStopped: return "Stopped";
  }
  return "unknown";
}

VmInstance::~VmInstance() {
  alive_.reset();
  for (auto& t : vcpu_threads_) {
    if (t) t->RequestStop();
  }
  for (auto& t : vcpu_threads_) {
    if (t) t->Join();
  }
}

void VmInstance::OnStop(const StopReason& reason) {
  {
    std::lock_guard lock(stop_mu_);
    if (stop_reason_) return;  // the first reason wins
    stop_reason_ = reason;
  }
  PETREL_LOG(kInfo) << "stop requested: " << reason.detail;
  if (loop_) loop_->Stop();
}

bool VmInstance::StopRequested() {
  std::lock_guard lock(stop_mu_);
  return stop_reason_.has_value();
}

void VmInstance::RunInline() {
  {
    std::lock_guard lock(lifecycle_mu_);
    run_state_ = VmRunState::kRunning;
    run_state_changed_.notify_all();
  }
  while (!StopRequested()) {
    // One round: every vCPU once, in vCPU order, then the control loop's
    // due work. The same exception boundaries as the threaded runner's.
    for (auto& vcpu : pending_vcpus_) {
      StopReason reason;
      try {
        if (RunVcpuOnce(*vcpu, io_, &reason) == VcpuStep::kStop) OnStop(reason);
      } catch (const std::exception& e) {
        OnStop({StopReason::Kind::kError,
                "vcpu " + std::to_string(vcpu->id()) + ": internal error: " + e.what()});
      } catch (...) {
        OnStop({StopReason::Kind::kError, "vcpu " + std::to_string(vcpu->id()) + ": internal error"});
      }
      if (StopRequested()) break;
    }
    try {
      Result<void> ran = loop_->RunOnce(0);
      if (!ran.ok()) OnStop({StopReason::Kind::kError, "VMM loop: " + ran.error().message()});
    } catch (const std::exception& e) {
      PETREL_LOG_ONCE(kError, "vmm-loop-threw") << "VMM loop: a handler threw: " << e.what();
    } catch (...) {
      PETREL_LOG_ONCE(kError, "vmm-loop-threw") << "VMM loop: a handler threw";
    }
  }
  std::lock_guard lock(lifecycle_mu_);
  run_state_ = VmRunState::kStopped;
}

Result<StopReason> VmInstance::Run() {
  // However Run() ends, a Pause() waiting for the start is released.
  struct MarkStoppedIfNeverStarted {
    VmInstance* vm;
    ~MarkStoppedIfNeverStarted() {
      std::lock_guard lock(vm->lifecycle_mu_);
      if (vm->run_state_ == VmRunState::kCreated) vm->run_state_ = VmRunState::kStopped;
      vm->run_state_changed_.notify_all();
    }
  } mark_stopped{this};
  if (attach_input_ && platform_->serial() != nullptr) {
    Serial* serial = platform_->serial();
    PETREL_TRY(serial_output_->AttachInput(
        *loop_, [serial](std::span<const uint8_t> bytes) { serial->QueueInput(bytes); }));
  }
  if (attach_input_ && virtio_->console() != nullptr) {
    virtio::ConsoleDevice* console = virtio_->console();
    PETREL_TRY(console_output_->AttachInput(
        *loop_, [console](std::span<const uint8_t> bytes) { console->QueueInput(bytes); }));
  }

  if (vcpu_runner_ == VcpuRunner::kInline) {
    if (start_paused_) {
      // Nothing would resume it: the inline runner has no pause.
      return Error(ErrorCode::kUnsupported, "a restored VM needs VcpuRunner::kThreads");
    }
    RunInline();
    std::lock_guard lock(stop_mu_);
    return *stop_reason_;
  }

  const uint64_t start_ns = monotonic_clock_->NowNs();
  {
    std::lock_guard lock(lifecycle_mu_);
    for (auto& vcpu : pending_vcpus_) {
      vcpu_threads_.push_back(MakeVcpuThread(std::move(vcpu), start_ns));
    }
    pending_vcpus_.clear();
    for (auto& t : vcpu_threads_) start_paused_ ? t->StartPaused() : t->Start();
    run_state_ = start_paused_ ? VmRunState::kPaused : VmRunState::kRunning;
    run_state_changed_.notify_all();
  }

  while (true) {
    {
      std::lock_guard lock(stop_mu_);
      if (stop_reason_) break;
    }
    // The control loop's exception boundary: a handler that throws (console
    // input, a stop request) loses its work, not the VMM.
    try {
      PETREL_TRY(loop_->RunOnce(-1));
    } catch (const std::exception& e) {
      PETREL_LOG_ONCE(kError, "vmm-loop-threw") << "VMM loop: a handler threw: " << e.what();
    } catch (...) {
      PETREL_LOG_ONCE(kError, "vmm-loop-threw") << "VMM loop: a handler threw";
    }
  }
  {
    // Parked vCPU threads (a stop while paused) wake and end too. The
    // workers stay as they are (stopped if paused); ~VirtioDevices stops them.
    std::lock_guard lock(lifecycle_mu_);
    for (auto& t : vcpu_threads_) {
      if (t) t->RequestStop();
    }
    for (auto& t : vcpu_threads_) {
      if (t) t->Join();
    }
    run_state_ = VmRunState::kStopped;
    saved_clock_.reset();
  }
  std::lock_guard lock(stop_mu_);
  return *stop_reason_;
}

void VmInstance::WaitUntilStarted(std::unique_lock<std::mutex>& lock) {
  run_state_changed_.wait_for(lock, pause_timeout_,
                              [this] { return run_state_ != VmRunState::kCreated; });
}

Result<void> VmInstance::Pause() {
  if (vcpu_runner_ == VcpuRunner::kInline) {
    return Error(ErrorCode::kUnsupported, "pause needs VcpuRunner::kThreads");
  }
  std::unique_lock lock(lifecycle_mu_);
  WaitUntilStarted(lock);
  if (run_state_ != VmRunState::kRunning) {
    return Error(ErrorCode::kFailedPrecondition,
                 std::string("cannot pause a VM that is ") + VmRunStateName(run_state_));
  }
  // vCPUs first: they are where new device work comes from (doorbells,
  // register writes). Once they are parked, stopping the workers leaves
  // nothing that could hand a worker more work, and a request a worker
  // finishes meanwhile only reaches guest memory and an interrupt the guest
  // sees when it runs again.
  auto undo_vcpus = [this] {
    for (auto& t : vcpu_threads_) {
      if (t) t->Resume();
    }
  };
  for (auto& t : vcpu_threads_) {
    if (!t) continue;
    Result<void> parked = t->Pause(pause_timeout_);
    if (!parked.ok()) {
      undo_vcpus();
      return std::move(parked).Wrap("pausing the VM");
    }
  }
  // Requests in flight finish now, so a snapshot never holds one.
  if (Result<void> quiet = virtio_->QuiesceAll(pause_timeout_); !quiet.ok()) {
    undo_vcpus();
    return std::move(quiet).Wrap("pausing the VM");
  }
  virtio_->PauseWorkers();
  if (Result<void> frozen = vm_->Pause(); !frozen.ok()) {
    Result<void> restarted = virtio_->ResumeWorkers();
    if (!restarted.ok()) {
      PETREL_LOG(kError) << restarted.error().message();
    }
    virtio_->UnquiesceAll();
    undo_vcpus();
    return std::move(frozen).Wrap("pausing the VM: the hypervisor's pause");
  }
  if (hide_paused_time_ && vm_->caps().vm_clock) {
    Result<hv::VmClock> clock = vm_->GetClock();
    if (!clock.ok()) {
      if (Result<void> thawed = vm_->Resume(); !thawed.ok()) {
        PETREL_LOG(kError) << thawed.error().message();
      }
      Result<void> restarted = virtio_->ResumeWorkers();
      if (!restarted.ok()) {
        PETREL_LOG(kError) << restarted.error().message();
      }
      virtio_->UnquiesceAll();
      undo_vcpus();
      return Error(std::move(clock).error()).Wrap("pausing the VM: saving the VM clock");
    }
    saved_clock_ = *clock;
  }
  run_state_ = VmRunState::kPaused;
  PETREL_LOG(kInfo) << "VM paused";
  return Ok();
}

Result<void> VmInstance::Resume() {
  if (vcpu_runner_ == VcpuRunner::kInline) {
    return Error(ErrorCode::kUnsupported, "resume needs VcpuRunner::kThreads");
  }
  std::unique_lock lock(lifecycle_mu_);
  // A restored VM is Paused for the VMM as soon as it is built; its vCPU
  // threads start (paused) a moment later, on the VM thread.
  WaitUntilStarted(lock);
  if (run_state_ != VmRunState::kPaused) {
    return Error(ErrorCode::kFailedPrecondition,
                 std::string("cannot resume a VM that is ") + VmRunStateName(run_state_));
  }
  // The reverse order: the clock while nothing runs, then the workers, so
  // a vCPU's first doorbell finds its device's worker running.
  if (saved_clock_) {
    PETREL_TRY(vm_->SetClock(*saved_clock_).Wrap("resuming the VM: setting the VM clock"));
    saved_clock_.reset();
  }
  PETREL_TRY(vm_->Resume().Wrap("resuming the VM: the hypervisor's resume"));
  PETREL_TRY(virtio_->ResumeWorkers().Wrap("resuming the VM"));
  virtio_->UnquiesceAll();
  for (auto& t : vcpu_threads_) {
    if (t) t->Resume();
  }
  run_state_ = VmRunState::kRunning;
  PETREL_LOG(kInfo) << "VM resumed";
  return Ok();
}

VmRunState VmInstance::state() const {
  std::lock_guard lock(lifecycle_mu_);
  return run_state_;
}

std::vector<VcpuState> VmInstance::PausedVcpuStates() const {
  std::lock_guard lock(lifecycle_mu_);
  std::vector<VcpuState> out;
  if (run_state_ != VmRunState::kPaused) return out;
  for (const auto& t : vcpu_threads_) {
    if (!t) continue;
    if (auto state = t->paused_state()) out.push_back(std::move(*state));
  }
  return out;
}

Result<VmSnapshotState> VmInstance::SaveSnapshotState() const {
  std::lock_guard lock(lifecycle_mu_);
  if (run_state_ != VmRunState::kPaused) {
    return Error(ErrorCode::kFailedPrecondition,
                 std::string("a snapshot needs a paused VM; this one is ") +
                     VmRunStateName(run_state_));
  }
  CpuHotplugController* hotplug = acpi_->cpu_hotplug();
  if (hotplug != nullptr && hotplug->removal_pending()) {
    return Error(ErrorCode::kBusy,
                 "a vCPU removal waits for the guest's eject; snapshot once it is done");
  }
  if (device_removal_pending()) {
    return Error(ErrorCode::kBusy,
                 "a PCI device removal waits for the guest's eject; snapshot once it is done");
  }
  VmSnapshotState out;
  if (tpm_) {
    // swtpm's state must match the device's: no command half done.
    if (!tpm_->WaitIdle(std::chrono::duration_cast<std::chrono::milliseconds>(pause_timeout_))) {
      return Error(ErrorCode::kBusy, "a TPM command is still running; snapshot once it is done");
    }
    TpmSnapshot t;
    t.crb = tpm_->Save();
    PETREL_ASSIGN_OR_RETURN(t.swtpm, tpm_backend_->SaveState().Wrap("saving the TPM's state"));
    out.tpm = std::move(t);
  }
  PETREL_ASSIGN_OR_RETURN(out.vm, vm_->SaveState().Wrap("saving the VM state"));
  // The guest's clock as it was at the pause (KVM's runs on meanwhile).
  if (saved_clock_) out.vm.clock = saved_clock_;
  for (const auto& t : vcpu_threads_) {
    if (!t) continue;  // unplugged; the present ones are 0..n-1 (no removal pending)
    auto state = t->paused_state();
    if (!state) return Error(ErrorCode::kInternal, "a paused vCPU has no saved state");
    out.vcpus.push_back(std::move(state->cpu));
  }
  out.ioapic = interrupts_->Save();
  out.legacy = platform_->Save();
  out.acpi = acpi_->Save();
  out.pci = pci_->Save();
  for (const auto& d : virtio_->devices()) {
    out.virtio.push_back({d.name, d.device->Save(), d.save_type(), d.slot});
  }
  if (pvpanic_) out.pvpanic = PvpanicSnapshot{pvpanic_->Save(), pvpanic_slot_};
  return out;
}

std::unique_ptr<VcpuThread> VmInstance::MakeVcpuThread(std::unique_ptr<hv::Vcpu> vcpu,
                                                       uint64_t start_ns) {
  std::function<void()> first_entry;
  if (vcpu->id() == 0) {
    first_entry = [this, start_ns] {
      PETREL_LOG(kInfo) << "boot: vcpu 0 enters the guest "
                        << (monotonic_clock_->NowNs() - start_ns) / 1000 << " us after Run()";
    };
  }
  hv::GuestIo& io = recording_io_ ? static_cast<hv::GuestIo&>(*recording_io_) : io_;
  return std::make_unique<VcpuThread>(
      std::move(vcpu), io, [this](const StopReason& r) { OnStop(r); }, std::move(first_entry),
      *sandbox_, VcpuThreadSyscalls());
}

}  // namespace petrel::vmm

namespace petrel::vmm {

// ---------------------------------------------------------------- vCPU hot-plug

uint32_t VmInstance::vcpu_count() const {
  std::lock_guard lock(lifecycle_mu_);
  if (vcpu_threads_.empty()) return static_cast<uint32_t>(pending_vcpus_.size());
  return static_cast<uint32_t>(
      std::count_if(vcpu_threads_.begin(), vcpu_threads_.end(), [](const auto& t) { return t != nullptr; }));
}

bool VmInstance::vcpu_removal_pending() const {
  const CpuHotplugController* hotplug = acpi_->cpu_hotplug();
  return hotplug != nullptr && hotplug->removal_pending();
}

Result<void> VmInstance::ResizeVcpus(uint32_t desired) {
  const uint32_t max = static_cast<uint32_t>(apic_ids_.size());
  if (desired < 1 || desired > max) {
    return Error(ErrorCode::kInvalidArgument, "desired_vcpus " + std::to_string(desired) +
                                                  " is not in 1.." + std::to_string(max) +
                                                  " (--cpus max)");
  }
  return OnVmThread([this, desired] { return ResizeOnVmThread(desired); }, "the resize");
}

Result<void> VmInstance::OnVmThread(std::function<Result<void>()> work, const std::string& what) {
  if (vcpu_runner_ == VcpuRunner::kInline) {
    return Error(ErrorCode::kUnsupported, what + " needs VcpuRunner::kThreads");
  }
  {
    std::unique_lock lock(lifecycle_mu_);
    WaitUntilStarted(lock);
  }
  // The VM thread owns vCPU creation and joins and the device list's
  // changes; wait for its answer.
  struct Answer {
    std::mutex mu;
    std::condition_variable done;
    std::optional<Result<void>> result;
  };
  auto answer = std::make_shared<Answer>();
  PETREL_TRY(loop_->Post([answer, work = std::move(work), token = std::weak_ptr<int>(alive_)] {
    if (token.expired()) return;
    Result<void> r = work();
    std::lock_guard lock(answer->mu);
    answer->result = std::move(r);
    answer->done.notify_all();
  }));
  std::unique_lock lock(answer->mu);
  if (!answer->done.wait_for(lock, pause_timeout_, [&] { return answer->result.has_value(); })) {
    return Error(ErrorCode::kBusy, "the VM thread did not take " + what + " within " +
                                       std::to_string(pause_timeout_.count()) + " ms");
  }
  return std::move(*answer->result);
}

Result<void> VmInstance::ResizeOnVmThread(uint32_t desired) {
  std::lock_guard lock(lifecycle_mu_);
  if (run_state_ != VmRunState::kRunning) {
    return Error(ErrorCode::kFailedPrecondition,
                 std::string("cannot resize a VM that is ") + VmRunStateName(run_state_));
  }
  CpuHotplugController* hotplug = acpi_->cpu_hotplug();
  if (hotplug == nullptr) {
    if (desired == 1) return Ok();
    return Error(ErrorCode::kInvalidArgument, "the VM has one possible vCPU (--cpus max=1)");
  }
  vcpu_threads_.resize(apic_ids_.size());
  // Threads of vCPUs the guest ejected whose reaping is still queued.
  for (uint32_t index = 0; index < vcpu_threads_.size(); ++index) {
    if (vcpu_threads_[index] != nullptr && !hotplug->enabled(index)) ReapVcpuLocked(index);
  }
  // Reconcile every slot with `desired`: below it, a vCPU runs (a removal
  // the guest has not done yet is withdrawn: a guest that never ejects
  // cannot pin the VM's size); from it up, each one is asked to leave.
  Result<void> result = Ok();
  uint32_t plugged = 0, withdrawn = 0, asked = 0;
  for (uint32_t index = 0; index < vcpu_threads_.size() && result.ok(); ++index) {
    if (index < desired) {
      if (vcpu_threads_[index] == nullptr) {
        result = PlugVcpu(index).Wrap("plugging vcpu " + std::to_string(index));
        plugged += result.ok();
      } else if (hotplug->CancelRemoval(index)) {
        ++withdrawn;
      }
    } else if (vcpu_threads_[index] != nullptr) {
      PETREL_TRY(hotplug->RequestRemoval(index));
      ++asked;
    }
  }
  // Whatever changed, the guest hears of it (a failed plug keeps the ones before it).
  if (plugged + withdrawn + asked > 0) acpi_->NotifyCpuHotplug();
  PETREL_LOG(kInfo) << "vCPUs to " << desired << ": " << plugged << " plugged, " << asked
                    << " to be ejected by the guest, " << withdrawn << " removals withdrawn";
  return result;
}

Result<void> VmInstance::PlugVcpu(uint32_t index) {
  std::unique_ptr<hv::Vcpu> vcpu = std::move(unplugged_vcpus_[index]);
  if (vcpu == nullptr) {
    PETREL_ASSIGN_OR_RETURN(vcpu, vm_->CreateVcpu(apic_ids_[index]).Wrap("creating the vCPU"));
    const auto cpuid = x86::BuildGuestCpuid(supported_cpuid_, index, topology_);
    PETREL_TRY(vcpu->SetCpuid(cpuid).Wrap("setting CPUID"));
  }
  // It waits for the guest's INIT and SIPI, as an application processor at boot.
  if (Result<void> msrs = vcpu->SetMsrs(x86::BootMsrs()); !msrs.ok()) {
    unplugged_vcpus_[index] = std::move(vcpu);
    return std::move(msrs).Wrap("setting boot MSRs");
  }
  vcpu_threads_[index] = MakeVcpuThread(std::move(vcpu), monotonic_clock_->NowNs());
  vcpu_threads_[index]->Start();
  return acpi_->cpu_hotplug()->Insert(index);
}

void VmInstance::ReapVcpuLocked(uint32_t index) {
  std::unique_ptr<VcpuThread>& thread = vcpu_threads_[index];
  thread->RequestStop();
  unplugged_vcpus_[index] = thread->ReleaseVcpu();
  thread.reset();
  PETREL_LOG(kInfo) << "vcpu " << index << " ejected by the guest";
}

void VmInstance::UnplugVcpu(uint32_t index) {
  std::lock_guard lock(lifecycle_mu_);
  // Plugged again since the eject (a resize reaped it first): leave it.
  if (index >= vcpu_threads_.size() || vcpu_threads_[index] == nullptr ||
      acpi_->cpu_hotplug()->enabled(index)) {
    return;
  }
  ReapVcpuLocked(index);
}

Result<void> VmInstance::StartDirtyLog() {
  PETREL_TRY(vm_->StartDirtyLog().Wrap("starting the hypervisor's dirty log"));
  memory_->StartDirtyLog();
  return Ok();
}

Result<std::vector<DirtyRange>> VmInstance::TakeDirtyRanges() {
  // The hypervisor's first: a device marks its pages again once its write
  // is done, so a write racing these two takes is in this round or the next.
  PETREL_ASSIGN_OR_RETURN(DirtyBitmap dirty, vm_->TakeDirtyLog());
  PETREL_TRY(dirty.Or(memory_->TakeDirtyLog()));
  return dirty.Ranges();
}

void VmInstance::StopDirtyLog() {
  memory_->StopDirtyLog();
  Result<void> stopped = vm_->StopDirtyLog();
  if (!stopped.ok()) {
    PETREL_LOG(kError) << "stopping the dirty log: " << stopped.error().message();
  }
}

}  // namespace petrel::vmm
