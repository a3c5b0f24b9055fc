// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// acpi_iasl_test: disassembles every generated table with the reference ACPI
// tools (iasl from acpica-tools) and recompiles the disassembly. The test
// fails on any error or warning from either step and skips only when iasl is
// not installed (ci/install-deps.sh installs it).
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "core/acpi/tables.h"
#include "core/arch/x86_layout.h"

namespace petrel::acpi {
namespace {

namespace fs = std::filesystem;

bool HaveIasl() {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    const size_t end = std::min(p.find(':', start), p.size());
    const fs::path candidate = fs::path(p.substr(start, end - start)) / "iasl";
    if (access(candidate.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

struct RunResult {
  int status = -1;
  std::string output;
};

// Runs `iasl <args>` in `dir`, stdout and stderr together.
RunResult Iasl(const fs::path& dir, const std::string& args) {
  const std::string cmd = "cd '" + dir.string() + "' && iasl " + args + " 2>&1";
  RunResult r;
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), f)) > 0) r.output.append(buf.data(), n);
  const int st = pclose(f);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "petrel-acpi-XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void WriteFile(const fs::path& p, const std::vector<uint8_t>& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << p;
}

void ExpectCleanCompile(const std::string& name, const std::string& output);

// Disassembles `name`.dat, then recompiles `name`.dsl; both must be clean.
void CheckTable(const fs::path& dir, const std::string& name, const std::vector<uint8_t>& blob) {
  SCOPED_TRACE(name);
  WriteFile(dir / (name + ".dat"), blob);
  const RunResult dis = Iasl(dir, "-d " + name + ".dat");
  EXPECT_EQ(dis.status, 0) << dis.output;
  // iasl -d reports problems as "Error"/"Warning" lines or "**** " messages
  // (bad checksum, length, unknown fields).
  static const std::regex kDisassemblyProblem("(Error|Warning|\\*\\*\\*\\*|Invalid|[Ii]ncorrect)");
  EXPECT_FALSE(std::regex_search(dis.output, kDisassemblyProblem)) << dis.output;
  ASSERT_TRUE(fs::exists(dir / (name + ".dsl"))) << dis.output;
  std::ifstream dsl(dir / (name + ".dsl"));
  const std::string text((std::istreambuf_iterator<char>(dsl)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(std::regex_search(text, std::regex("(\\*\\*\\*\\*|[Ii]ncorrect checksum|Error)")))
      << text;

  const RunResult comp = Iasl(dir, name + ".dsl");
  EXPECT_EQ(comp.status, 0) << comp.output;
  ExpectCleanCompile(name, comp.output);
}

// iasl's summary line, e.g. "Compilation successful. 0 Errors, 0 Warnings, 0 Remarks".
void ExpectCleanCompile(const std::string& name, const std::string& output) {
  std::smatch m;
  static const std::regex kSummary(
      "Compilation (successful|complete)\\. (\\d+) Errors, (\\d+) Warnings[^\\n]*");
  ASSERT_TRUE(std::regex_search(output, m, kSummary)) << output;
  EXPECT_EQ(m[2].str(), "0") << output;
  EXPECT_EQ(m[3].str(), "0") << output;
  std::printf("[ iasl     ] %s: %s\n", name.c_str(), m[0].str().c_str());
}

std::string Hex(const std::vector<uint8_t>& b, size_t off, size_t len) {
  std::string s;
  char buf[4];
  for (size_t i = len; i-- > 0;) {  // little-endian field, printed most significant first
    std::snprintf(buf, sizeof buf, "%02X", b[off + i]);
    s += buf;
  }
  return s;
}

// iasl cannot disassemble a lone RSDP (its signature is not a 4-character
// name), so compile an RSDP with the same fields and zero checksums through
// iasl's data table compiler, which computes both checksums, and compare.
void CheckRsdp(const fs::path& dir, const std::vector<uint8_t>& rsdp) {
  SCOPED_TRACE("rsdp");
  ASSERT_EQ(rsdp.size(), 36u);
  std::ofstream src(dir / "rsdpref.asl");
  src << "[0008] Signature : \"" << std::string(rsdp.begin(), rsdp.begin() + 8) << "\"\n"
      << "[0001] Checksum : 00\n"
      << "[0006] Oem ID : \"" << std::string(rsdp.begin() + 9, rsdp.begin() + 15) << "\"\n"
      << "[0001] Revision : " << Hex(rsdp, 15, 1) << "\n"
      << "[0004] RSDT Address : " << Hex(rsdp, 16, 4) << "\n"
      << "[0004] Length : " << Hex(rsdp, 20, 4) << "\n"
      << "[0008] XSDT Address : " << Hex(rsdp, 24, 8) << "\n"
      << "[0001] Extended Checksum : 00\n"
      << "[0003] Reserved : 000000\n";
  src.close();
  const RunResult comp = Iasl(dir, "rsdpref.asl");
  EXPECT_EQ(comp.status, 0) << comp.output;
  ExpectCleanCompile("rsdp", comp.output);
  std::ifstream ref(dir / "rsdpref.aml", std::ios::binary);
  const std::vector<uint8_t> expected((std::istreambuf_iterator<char>(ref)),
                                      std::istreambuf_iterator<char>());
  EXPECT_EQ(rsdp, expected);
}

void CheckAll(const AcpiConfig& config) {
  if (!HaveIasl()) GTEST_SKIP() << "iasl not installed (apt-get install acpica-tools)";
  auto tables = BuildAcpiTables(config, x86::kEbdaStart);
  ASSERT_TRUE(tables.ok()) << tables.error().message();
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  CheckRsdp(dir.path(), tables->rsdp);
  CheckTable(dir.path(), "xsdt", tables->xsdt);
  CheckTable(dir.path(), "facp", tables->fadt);
  CheckTable(dir.path(), "dsdt", tables->dsdt);
  CheckTable(dir.path(), "apic", tables->madt);
  if (!tables->mcfg.empty()) CheckTable(dir.path(), "mcfg", tables->mcfg);
  EXPECT_EQ(tables->srat.empty(), config.numa_nodes.empty());
  EXPECT_EQ(tables->slit.empty(), config.numa_nodes.empty());
  if (!tables->srat.empty()) CheckTable(dir.path(), "srat", tables->srat);
  if (!tables->slit.empty()) CheckTable(dir.path(), "slit", tables->slit);
  EXPECT_EQ(tables->tpm2.empty(), !config.tpm_crb_mmio.has_value());
  if (!tables->tpm2.empty()) CheckTable(dir.path(), "tpm2", tables->tpm2);
  // Not the VIOT: the iasl CI installs (acpica-tools 20200925) predates it
  // ("Unrecognized ACPI table signature"); viot_test.cc checks its layout.
}

TEST(AcpiIaslTest, DefaultPlatform) {
  AcpiConfig c;
  c.ged_mmio = 0xFEB0'0000;
  CheckAll(c);
}

TEST(AcpiIaslTest, ManyVcpusNoSerialNoTimerHighGed) {
  AcpiConfig c;
  c.boot_vcpus = 4;
  c.max_vcpus = 300;  // x2APIC entries above id 254
  c.serial = false;
  c.pm_timer_port = 0;
  c.ged_mmio = 0x3FFF'FFF0'0000;
  CheckAll(c);
}

TEST(AcpiIaslTest, WithPciHostBridgeAndMcfg) {
  AcpiConfig c;
  c.ged_mmio = 0xFEB0'0000;
  c.pci = PciHostConfig{0xE800'0000, 0, 0xC000'0000, 0xE7FF'FFFF, 0x1'4000'0000, 0x11'3FFF'FFFF};
  CheckAll(c);
}

TEST(AcpiIaslTest, CpuHotplug) {
  AcpiConfig c;
  c.boot_vcpus = 2;
  c.max_vcpus = 8;
  c.ged_mmio = 0xFEB0'0000;
  c.cpu_hotplug_mmio = 0xFEB0'0010;
  c.pci = PciHostConfig{0xE800'0000, 0, 0xC000'0000, 0xE7FF'FFFF, 0x1'4000'0000, 0x11'3FFF'FFFF};
  CheckAll(c);
}

TEST(AcpiIaslTest, CpuHotplugManyVcpus) {
  AcpiConfig c;
  c.boot_vcpus = 1;
  c.max_vcpus = 300;  // x2APIC _MAT entries, a long CTFY
  c.ged_mmio = 0xFEB0'0000;
  c.cpu_hotplug_mmio = 0xFEB0'0010;
  CheckAll(c);
}

TEST(AcpiIaslTest, PciHotplug) {
  AcpiConfig c;
  c.boot_vcpus = 2;
  c.max_vcpus = 8;
  c.ged_mmio = x86::kAcpiGedStart;
  c.cpu_hotplug_mmio = x86::kAcpiCpuHotplugStart;
  c.pci_hotplug_mmio = x86::kAcpiPciHotplugStart;
  c.pci = PciHostConfig{0xE800'0000, 0, 0xC000'0000, 0xE7FF'FFFF, 0x1'4000'0000, 0x11'3FFF'FFFF};
  CheckAll(c);
}

TEST(AcpiIaslTest, PciHotplugWithoutCpuHotplug) {
  AcpiConfig c;
  c.ged_mmio = x86::kAcpiGedStart;
  c.pci_hotplug_mmio = x86::kAcpiPciHotplugStart;
  c.pci = PciHostConfig{0xE800'0000, 0, 0xC000'0000, 0xE7FF'FFFF, 0, 0};
  CheckAll(c);
}

TEST(AcpiIaslTest, MemoryHotplug) {
  AcpiConfig c;
  c.ged_mmio = x86::kAcpiGedStart;
  c.memory_hotplug_mmio = x86::kAcpiMemoryHotplugStart;
  CheckAll(c);
}

TEST(AcpiIaslTest, MemoryHotplugWithCpuAndPciHotplug) {
  AcpiConfig c;
  c.boot_vcpus = 2;
  c.max_vcpus = 8;
  c.ged_mmio = x86::kAcpiGedStart;
  c.cpu_hotplug_mmio = x86::kAcpiCpuHotplugStart;
  c.pci_hotplug_mmio = x86::kAcpiPciHotplugStart;
  c.memory_hotplug_mmio = x86::kAcpiMemoryHotplugStart;
  c.pci = PciHostConfig{0xE800'0000, 0, 0xC000'0000, 0xE7FF'FFFF, 0x1'4000'0000, 0x11'3FFF'FFFF};
  CheckAll(c);
}

TEST(AcpiIaslTest, MemoryHotplugOneSlotHighRegisters) {
  AcpiConfig c;
  c.ged_mmio = 0x3FFF'FFF0'0000;
  c.memory_hotplug_mmio = 0x3FFF'FFF0'0030;
  c.memory_hotplug_slots = 1;
  CheckAll(c);
}

TEST(AcpiIaslTest, NoGed) {
  AcpiConfig c;
  c.max_vcpus = 2;
  CheckAll(c);
}

// Two nodes: RAM below and above the 32-bit hole, a hot-pluggable range,
// an asymmetric distance and one left to the reverse/default rule.
TEST(AcpiIaslTest, NumaTwoNodes) {
  AcpiConfig c;
  c.boot_vcpus = 4;
  c.max_vcpus = 4;
  c.ged_mmio = x86::kAcpiGedStart;
  c.numa_nodes = {
      NumaNode{0, {{0, 0xC000'0000, false}, {0x1'0000'0000, 0x4000'0000, false}}, {0, 1}, {{1, 15}}},
      NumaNode{1, {{0x1'4000'0000, 0x8000'0000, false}, {0x2'0000'0000, 0x4000'0000, true}},
               {2, 3}, {{0, 25}}},
  };
  CheckAll(c);
}

// Four nodes beside PCI (SRAT and SLIT after the MCFG), x2APIC ids above 254,
// a CPU-less node and a memory-less one.
TEST(AcpiIaslTest, NumaFourNodesWithPciAndX2Apic) {
  AcpiConfig c;
  c.boot_vcpus = 4;
  c.max_vcpus = 300;
  c.ged_mmio = x86::kAcpiGedStart;
  c.cpu_hotplug_mmio = x86::kAcpiCpuHotplugStart;
  c.pci = PciHostConfig{0xE800'0000, 0, 0xC000'0000, 0xE7FF'FFFF, 0x1'4000'0000, 0x11'3FFF'FFFF};
  c.numa_nodes = {
      NumaNode{0, {{0, 0x8000'0000, false}}, {0, 1, 2}, {{1, 11}, {2, 254}}},
      NumaNode{1, {{0x1'0000'0000, 0x8000'0000, false}}, {255, 256, 299}, {{3, 40}}},
      NumaNode{2, {{0x2'0000'0000, 0x1000'0000, true}}, {}, {}},
      NumaNode{3, {}, {3, 100}, {{0, 31}}},
  };
  CheckAll(c);
}

// A TPM 2.0 CRB device: the DSDT's \_SB_.TPM2 and the TPM2 table.
TEST(AcpiIaslTest, Tpm) {
  AcpiConfig c;
  c.ged_mmio = x86::kAcpiGedStart;
  c.tpm_crb_mmio = x86::kTpmCrbStart;
  CheckAll(c);
}

// The TPM beside everything else (TPM2 last in the XSDT, after SLIT).
TEST(AcpiIaslTest, TpmWithPciHotplugAndNuma) {
  AcpiConfig c;
  c.boot_vcpus = 2;
  c.max_vcpus = 4;
  c.ged_mmio = x86::kAcpiGedStart;
  c.cpu_hotplug_mmio = x86::kAcpiCpuHotplugStart;
  c.pci_hotplug_mmio = x86::kAcpiPciHotplugStart;
  c.memory_hotplug_mmio = x86::kAcpiMemoryHotplugStart;
  c.pci = PciHostConfig{0xE800'0000, 0, 0xC000'0000, 0xE7FF'FFFF, 0x1'4000'0000, 0x11'3FFF'FFFF};
  c.numa_nodes = {NumaNode{0, {{0, 0xC000'0000, false}}, {0, 1}, {{1, 20}}},
                  NumaNode{1, {{0x1'0000'0000, 0x4000'0000, false}}, {2, 3}, {}}};
  c.tpm_crb_mmio = x86::kTpmCrbStart;
  CheckAll(c);
}

// iasl reads the TPM2 fields where Petrel put them: the revision 3 layout,
// the CRB control area at the page's offset 0x40, start method 7.
TEST(AcpiIaslTest, Tpm2FieldsAsIaslReadsThem) {
  if (!HaveIasl()) GTEST_SKIP() << "iasl not installed (apt-get install acpica-tools)";
  AcpiConfig c;
  c.tpm_crb_mmio = x86::kTpmCrbStart;
  auto tables = BuildAcpiTables(c, x86::kEbdaStart);
  ASSERT_TRUE(tables.ok()) << tables.error().message();
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  CheckTable(dir.path(), "tpm2", tables->tpm2);
  std::ifstream dsl(dir.path() / "tpm2.dsl");
  const std::string text((std::istreambuf_iterator<char>(dsl)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(std::regex_search(text, std::regex("Table Length : 00000034")));
  EXPECT_TRUE(std::regex_search(text, std::regex("Revision : 03")));
  EXPECT_TRUE(std::regex_search(text, std::regex("Control Address : 00000000FED40040")));
  EXPECT_TRUE(std::regex_search(text, std::regex("Start Method : 0*7")));
}

// The check itself must notice a broken table: a wrong FADT checksum.
TEST(AcpiIaslTest, DetectsABadChecksum) {
  if (!HaveIasl()) GTEST_SKIP() << "iasl not installed (apt-get install acpica-tools)";
  AcpiConfig c;
  auto tables = BuildAcpiTables(c, x86::kEbdaStart);
  ASSERT_TRUE(tables.ok());
  std::vector<uint8_t> fadt = tables->fadt;
  fadt[9] ^= 0x55;
  TempDir dir;
  ::testing::TestPartResultArray results;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    CheckTable(dir.path(), "facp", fadt);
  }
  bool flagged = false;
  for (int i = 0; i < results.size(); ++i) {
    const std::string msg = results.GetTestPartResult(i).message();
    if (msg.find("ncorrect checksum") != std::string::npos) flagged = true;
  }
  EXPECT_TRUE(flagged) << results.size() << " failures, none about the checksum";
}

}  // namespace
}  // namespace petrel::acpi
