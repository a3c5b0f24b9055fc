// VmConfig: what one VM is made of, and the parsers for the option strings of
// --cpus, --memory, --serial and --console (Cloud Hypervisor syntax: CH's vmm/src/config.rs;
// summary in the design notes, ch-compat.md section 1).
//
// Defaults follow CH: cpus boot=1 (max = boot unless given), memory size=512M,
// serial null, console tty.
//
// Limits Petrel adds (checked here, so a bad command line fails before any
// VM is created):
//   --cpus:    1 <= boot <= max <= kMaxVcpus (254: x86 xAPIC IDs 0..254, 0xff
//              is the broadcast ID; Intel SDM Vol. 3A 10.6.1).
//   --memory:  a multiple of kMemoryAlignment (4 KiB, one x86 page), at least
//              kMinMemorySize (2 MiB: the kernel is loaded at 1 MiB, below it
//              sit the boot structures), at most kMaxMemorySize (64 TiB =
//              2^46, CH's default max_phys_bits).
//   --serial:  off | null | tty | pty | file=<path> | socket=<path>
//   --console: off | null | tty | pty | file=<path>   (no socket=, as in CH's
//              --console syntax)
// Only the keys above are accepted for now; later work adds CH's other keys
// (topology, hugepages, iommu, ...).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace petrel::config {

inline constexpr uint32_t kMaxVcpus = 254;
inline constexpr uint64_t kMemoryAlignment = 4096;
inline constexpr uint64_t kMinMemorySize = 2ULL << 20;
inline constexpr uint64_t kMaxMemorySize = 1ULL << 46;
inline constexpr uint64_t kDefaultMemorySize = 512ULL << 20;

enum class OutputMode { kOff, kNull, kTty, kPty, kFile, kSocket };

// "off", "null", "tty", "pty", "file", "socket".
const char* OutputModeName(OutputMode mode);

struct OutputConfig {
  OutputMode mode;
  std::string path;  // for kFile and kSocket only
};

struct PayloadConfig {
  std::string kernel, initramfs, cmdline;
};

struct CpusConfig {
  uint32_t boot_vcpus = 1;
  uint32_t max_vcpus = 1;
};

struct MemoryConfig {
  uint64_t size = kDefaultMemorySize;
};

struct VmConfig {
  PayloadConfig payload;
  CpusConfig cpus;
  MemoryConfig memory;
  OutputConfig serial{OutputMode::kNull, {}};
  OutputConfig console{OutputMode::kTty, {}};
};

// Each error is one line starting with the option name, e.g.
// "--cpus: max=2 is less than boot=4".
Result<CpusConfig> ParseCpus(std::string_view text);
Result<MemoryConfig> ParseMemory(std::string_view text);
Result<OutputConfig> ParseSerial(std::string_view text);
Result<OutputConfig> ParseConsole(std::string_view text);

// Checks rules that span options (CH's VmConfig::validate): a kernel is
// required, and serial and console cannot both be "tty".
Result<void> ValidateVmConfig(const VmConfig& config);

}  // namespace petrel::config
