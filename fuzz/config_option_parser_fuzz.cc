// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes the option-string parsers (vmm/config): random text into OptionParser
// and each Parse* function (--cpus, --memory, --serial, --console, sizes,
// --disk, --net, --rng). The first byte picks the target. Checks that
// results obey their documented limits and that errors are single lines that
// name the option.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "vmm/config/option_parser.h"
#include "vmm/config/vm_config.h"

namespace {

using petrel::config::OptionParser;

void Check(bool condition) {
  if (!condition) std::abort();
}

template <class T>
void CheckError(const petrel::Result<T>& result, std::string_view option) {
  if (result.ok()) return;
  const std::string& message = result.error().message();
  Check(message.rfind(std::string(option) + ":", 0) == 0);
  Check(message.find('\n') == std::string::npos);
}

void FuzzGeneric(std::string_view text) {
  OptionParser parser("--fuzz", {"a", "size", "flag", "n"}, {"on"});
  auto parsed = parser.Parse(text);
  CheckError(parsed, "--fuzz");
  if (!parsed.ok()) {
    Check(parser.GivenKeys().empty());
    return;
  }
  // Only "key=" items (not set, as in CH) leave no key given.
  Check(!parser.GivenKeys().empty() || text.find('=') != std::string_view::npos);
  for (const char* key : {"a", "size", "flag", "n", "on"}) {
    CheckError(parser.GetU64(key), "--fuzz");
    auto size = parser.GetSize(key);
    CheckError(size, "--fuzz");
    CheckError(parser.GetBool(key), "--fuzz");
    // A plain decimal size reads the same as an integer.
    auto value = parser.Get(key);
    if (size.ok() && *size && value && !value->empty() && value->front() != '0' &&
        value->find_first_not_of("0123456789") == std::string::npos) {
      Check(std::to_string(**size) == *value);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 9) {
    case 0: FuzzGeneric(text); break;
    case 1: {
      auto cpus = petrel::config::ParseCpus(text);
      CheckError(cpus, "--cpus");
      if (cpus.ok()) {
        Check(cpus->boot_vcpus >= 1 && cpus->boot_vcpus <= cpus->max_vcpus);
        Check(cpus->max_vcpus <= petrel::config::kMaxVcpus);
      }
      break;
    }
    case 2: {
      auto memory = petrel::config::ParseMemory(text);
      CheckError(memory, "--memory");
      if (memory.ok()) {
        Check(memory->size % petrel::config::kMemoryAlignment == 0);
        Check(memory->size >= petrel::config::kMinMemorySize);
        Check(memory->size <= petrel::config::kMaxMemorySize);
      }
      break;
    }
    case 3:
    case 4: {
      const bool serial = data[0] % 9 == 3;
      auto out = serial ? petrel::config::ParseSerial(text) : petrel::config::ParseConsole(text);
      CheckError(out, serial ? "--serial" : "--console");
      if (out.ok()) {
        using petrel::config::OutputMode;
        const bool has_path = out->mode == OutputMode::kFile || out->mode == OutputMode::kSocket;
        Check(has_path == !out->path.empty());
      }
      break;
    }
    case 5: {
      auto value = petrel::config::ParseSize(text);
      if (value.ok() && !text.empty() && text.front() != '0' &&
          text.find_first_not_of("0123456789") == std::string_view::npos) {
        Check(std::to_string(*value) == text);
      }
      auto u = petrel::config::ParseU64(text);
      (void)u;
      Check(petrel::EscapeForMessage(text).find('\n') == std::string::npos);
      break;
    }
    case 6: {
      auto disk = petrel::config::ParseDisk(text);
      CheckError(disk, "--disk");
      if (disk.ok()) {
        Check(!disk->path.empty());
        // Whatever the CLI accepts, the device accepts (one Validate).
        Check(petrel::virtio::Validate(*disk).ok());
        Check(disk->num_queues >= 1 && disk->num_queues <= petrel::virtio::kBlkMaxQueues);
        Check(disk->queue_size >= 2 && (disk->queue_size & (disk->queue_size - 1)) == 0);
        Check(disk->serial.size() <= petrel::virtio::kBlkIdBytes);
      }
      break;
    }
    case 7: {
      auto net = petrel::config::ParseNet(text);
      CheckError(net, "--net");
      if (net.ok()) {
        Check(petrel::virtio::Validate(*net).ok());
        Check(net->num_queues >= 2 && net->num_queues % 2 == 0);
        Check(net->tap.size() <= 15);
        Check(!net->mac || ((*net->mac)[0] & 1) == 0);
        Check(!net->mtu || *net->mtu >= 68);
      }
      break;
    }
    case 8: {
      auto rng = petrel::config::ParseRng(text);
      CheckError(rng, "--rng");
      if (rng.ok()) Check(!rng->src.empty() && petrel::virtio::Validate(*rng).ok());
      break;
    }
  }
  return 0;
}
