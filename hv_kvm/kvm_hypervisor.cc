// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// KvmHypervisor and OpenKvm (see kvm_hypervisor.h).
#include "hv_kvm/kvm_hypervisor.h"

#include <algorithm>
#include <fcntl.h>
#include <linux/kvm.h>

#include <cerrno>
#include <vector>

#include "hv_kvm/kvm_state_convert.h"
#include "hv_kvm/kvm_sys.h"
#include "hv_kvm/kvm_thread_syscalls.h"
#include "hv_kvm/kvm_vcpu.h"
#include "hv_kvm/kvm_vm.h"

namespace petrel::kvm {
namespace {

struct RequiredCap {
  int cap;
  const char* name;
};
constexpr RequiredCap kRequiredCaps[] = {
    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
    {KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"},
    {KVM_CAP_PIT2, "KVM_CAP_PIT2"},
    {KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR"},
    {KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR"},
    {KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD"},
    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
    {KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},
    {KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING"},
    {KVM_CAP_IRQFD, "KVM_CAP_IRQFD"},
};

// api.rst KVM_CAP_NR_VCPUS: "If the KVM_CAP_NR_VCPUS does not exist, you
// should assume that max_vcpus is 4 cpus max."
constexpr uint32_t kDefaultMaxVcpus = 4;
constexpr size_t kInitialCpuidEntries = 128;

class KvmHypervisor final : public hv::Hypervisor {
 public:
  KvmHypervisor(UniqueFd fd, const KvmHostInfo& host) : fd_(std::move(fd)), host_(host) {
    caps_.max_vcpus = host.max_vcpus;
    caps_.kernel_irqchip = true;
    caps_.kernel_ioapic = true;  // unless a VM asks for the split irqchip
    caps_.kernel_ioevents = true;
    caps_.vm_clock = host.adjust_clock;
  }
  hv::BackendKind kind() const override { return hv::BackendKind::kKvm; }
  isolation::SyscallRules ThreadSyscalls(hv::ThreadKind kind) const override {
    return KvmThreadSyscalls(kind);
  }
  const hv::Caps& caps() const override { return caps_; }

  Result<std::vector<hv::CpuidEntry>> SupportedCpuid() const override {
    // api.rst KVM_GET_SUPPORTED_CPUID: E2BIG when nent is too small; KVM
    // then leaves nent alone, so grow and retry.
    for (size_t n = kInitialCpuidEntries; n <= kMaxCpuidEntries; n *= 2) {
      CpuidBuffer buf(n);
      buf.header()->nent = static_cast<uint32_t>(n);
      auto r = IoctlPtr(fd_.get(), kKvmGetSupportedCpuid, "KVM_GET_SUPPORTED_CPUID", buf.header());
      if (r.ok()) return CpuidFromBuffer(buf);
      if (r.error().errnum() != E2BIG) return std::move(r).error();
    }
    return Error(ErrorCode::kUnsupported, "KVM_GET_SUPPORTED_CPUID: more than " +
                                              std::to_string(kMaxCpuidEntries) + " entries");
  }

  Result<std::shared_ptr<hv::Vm>> CreateVm(const hv::VmConfig& config) override {
    PETREL_ASSIGN_OR_RETURN(auto vm, KvmVm::Create(fd_.get(), host_, config));
    return std::shared_ptr<hv::Vm>(std::move(vm));
  }

 private:
  UniqueFd fd_;
  KvmHostInfo host_;
  hv::Caps caps_;
};

Result<int> CheckExtension(int fd, int cap) {
  return Ioctl(fd, KVM_CHECK_EXTENSION, "KVM_CHECK_EXTENSION", static_cast<uintptr_t>(cap));
}

// api.rst KVM_GET_MSR_INDEX_LIST (system ioctl): E2BIG with nmsrs set to
// the count when nmsrs is too small, so ask with 0 first, then with that
// count (and once more should the list have grown in between).
Result<std::vector<uint32_t>> MsrIndexList(int kvm_fd) {
  uint32_t n = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    MsrListBuffer buf(n);
    buf.header()->nmsrs = n;
    auto r = IoctlPtr(kvm_fd, kKvmGetMsrIndexList, "KVM_GET_MSR_INDEX_LIST", buf.header());
    if (r.ok()) {
      const size_t got = std::min<size_t>(buf.header()->nmsrs, buf.capacity());
      return std::vector<uint32_t>(buf.entries().begin(),
                                   buf.entries().begin() + static_cast<ptrdiff_t>(got));
    }
    if (r.error().errnum() != E2BIG) return std::move(r).error();
    n = buf.header()->nmsrs;
  }
  return Error(ErrorCode::kSystem, "KVM_GET_MSR_INDEX_LIST: the list kept growing");
}

}  // namespace
}  // namespace petrel::kvm

namespace petrel {

Result<std::unique_ptr<hv::Hypervisor>> OpenKvm(const std::string& device) {
  using namespace petrel::kvm;
  const int raw = ::open(device.c_str(), O_RDWR | O_CLOEXEC);
  if (raw < 0) {
    const int err = errno;
    if (err == ENOENT) return Error(ErrorCode::kNotFound, device + " does not exist", err);
    return Error::FromErrno("open " + device, err);
  }
  UniqueFd fd(raw);
  PETREL_ASSIGN_OR_RETURN(int version, Ioctl(fd.get(), KVM_GET_API_VERSION, "KVM_GET_API_VERSION"));
  if (version != kKvmApiVersion) {
    return Error(ErrorCode::kUnsupported, "KVM API version " + std::to_string(version) + ", need " +
                                              std::to_string(kKvmApiVersion));
  }
  for (const auto& c : kRequiredCaps) {
    PETREL_ASSIGN_OR_RETURN(int have, CheckExtension(fd.get(), c.cap));
    if (have <= 0) return Error(ErrorCode::kUnsupported, std::string("KVM lacks ") + c.name);
  }
  KvmHostInfo host;
  PETREL_ASSIGN_OR_RETURN(int mmap_size,
                          Ioctl(fd.get(), KVM_GET_VCPU_MMAP_SIZE, "KVM_GET_VCPU_MMAP_SIZE"));
  host.run_mmap_size = static_cast<size_t>(mmap_size);
  PETREL_ASSIGN_OR_RETURN(int max_vcpus, CheckExtension(fd.get(), KVM_CAP_MAX_VCPUS));
  if (max_vcpus <= 0) {
    PETREL_ASSIGN_OR_RETURN(max_vcpus, CheckExtension(fd.get(), KVM_CAP_NR_VCPUS));
  }
  host.max_vcpus = max_vcpus > 0 ? static_cast<uint32_t>(max_vcpus) : kDefaultMaxVcpus;
  PETREL_ASSIGN_OR_RETURN(int slots, CheckExtension(fd.get(), KVM_CAP_NR_MEMSLOTS));
  if (slots > 0) host.nr_memslots = static_cast<uint32_t>(slots);
  PETREL_ASSIGN_OR_RETURN(int any_len, CheckExtension(fd.get(), KVM_CAP_IOEVENTFD_ANY_LENGTH));
  host.ioeventfd_any_length = any_len > 0;
  // api.rst KVM_CAP_IRQ_ROUTING: the result is the number of routing entries.
  PETREL_ASSIGN_OR_RETURN(int routes, CheckExtension(fd.get(), KVM_CAP_IRQ_ROUTING));
  if (routes > 0) host.max_irq_routes = std::min<uint32_t>(static_cast<uint32_t>(routes), kMaxGsiRoutes);
  // api.rst KVM_CAP_ADJUST_CLOCK: non-zero when KVM_GET/SET_CLOCK exist
  // (the value is the set of flags KVM_GET_CLOCK may report).
  PETREL_ASSIGN_OR_RETURN(int adjust_clock, CheckExtension(fd.get(), KVM_CAP_ADJUST_CLOCK));
  host.adjust_clock = adjust_clock > 0;
  PETREL_ASSIGN_OR_RETURN(host.msr_index_list, MsrIndexList(fd.get()));
  return std::unique_ptr<hv::Hypervisor>(new KvmHypervisor(std::move(fd), host));
}

}  // namespace petrel
