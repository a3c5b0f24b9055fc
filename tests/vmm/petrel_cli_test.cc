// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The petrel binary's answer to bad input: one clear error line on stderr, a
// non-zero exit status, no crash; and the empty VMM's process behaviour
// (API socket mode, SIGTERM/SIGINT). Runs the real binary (no /dev/kvm
// needed: every error here is found before the hypervisor is opened).
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/isolation/landlock.h"
#include "core/isolation/seccomp_mode.h"
#include "vmm/build_info.h"

namespace {

// A path in the test temp dir that no other process uses (another build's
// tests may run the same test at the same time on the same /tmp).
std::string UniqueTemp(const std::string& name) {
  return ::testing::TempDir() + "/" + std::to_string(getpid()) + "-" + name;
}

struct RunResult {
  int status = -1;  // exit status, or 128 + signal
  std::string err;  // stderr
  std::string out;  // stdout
};

// In a forked child: becomes `petrel args...` (exit 127 if exec fails).
[[noreturn]] void ExecPetrel(std::vector<std::string>& args) {
  std::vector<char*> argv;
  static std::string bin = PETREL_BINARY;
  argv.push_back(bin.data());
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(bin.c_str(), argv.data());
  _exit(127);
}

RunResult RunPetrel(std::vector<std::string> args) {
  int out_pipe[2], err_pipe[2];
  EXPECT_EQ(pipe(out_pipe), 0);
  EXPECT_EQ(pipe(err_pipe), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    close(out_pipe[0]);
    close(err_pipe[0]);
    ExecPetrel(args);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  RunResult r;
  auto drain = [](int fd, std::string* s) {
    std::array<char, 4096> buf;
    ssize_t n;
    while ((n = read(fd, buf.data(), buf.size())) > 0)
      s->append(buf.data(), static_cast<size_t>(n));
    close(fd);
  };
  drain(out_pipe[0], &r.out);
  drain(err_pipe[0], &r.err);
  int status = 0;
  waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string TempFile(const std::string& name, const std::string& bytes) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// One line, starting "petrel: error: ", exit status 1.
void ExpectOneErrorLine(const RunResult& r, const std::string& needle) {
  EXPECT_EQ(r.status, 1) << r.err;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.rfind("petrel: error: ", 0), 0u) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line: " << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

TEST(PetrelCliTest, MalformedKernel) {
  auto junk = TempFile("junk-kernel", std::string(8192, 'x'));
  ExpectOneErrorLine(RunPetrel({"--kernel", junk, "--console", "off"}), "bzImage");
}

TEST(PetrelCliTest, TruncatedElfKernel) {
  auto elf = TempFile("short.elf", std::string("\x7f"
                                               "ELF\x02\x01\x01",
                                               7));
  ExpectOneErrorLine(RunPetrel({"--kernel", elf, "--console", "off"}), "ELF");
}

TEST(PetrelCliTest, EmptyKernel) {
  auto empty = TempFile("empty-kernel", "");
  ExpectOneErrorLine(RunPetrel({"--kernel", empty, "--console", "off"}), "empty");
}

TEST(PetrelCliTest, MissingKernelFile) {
  ExpectOneErrorLine(RunPetrel({"--kernel", "/nonexistent/vmlinux", "--console", "off"}),
                     "cannot open kernel /nonexistent/vmlinux");
}

TEST(PetrelCliTest, MissingInitramfs) {
  ExpectOneErrorLine(RunPetrel({"--kernel", PETREL_NULL_GUEST_ELF, "--initramfs",
                                "/nonexistent/initrd", "--console", "off"}),
                     "cannot open initramfs /nonexistent/initrd");
}

TEST(PetrelCliTest, BadSizes) {
  ExpectOneErrorLine(RunPetrel({"--kernel", PETREL_NULL_GUEST_ELF, "--memory", "size=12Q"}),
                     "--memory: size=12Q");
  ExpectOneErrorLine(RunPetrel({"--kernel", PETREL_NULL_GUEST_ELF, "--memory", "size=1K"}),
                     "--memory");
  ExpectOneErrorLine(
      RunPetrel({"--kernel", PETREL_NULL_GUEST_ELF, "--memory", "size=99999999999T"}), "--memory");
}

TEST(PetrelCliTest, BadOptionStrings) {
  ExpectOneErrorLine(RunPetrel({"--kernel", PETREL_NULL_GUEST_ELF, "--cpus", "boot=0"}), "--cpus");
  ExpectOneErrorLine(RunPetrel({"--kernel", PETREL_NULL_GUEST_ELF, "--cpus", "bot=2"}), "bot");
  ExpectOneErrorLine(RunPetrel({"--kernel", PETREL_NULL_GUEST_ELF, "--cpus", "boot"}), "--cpus");
  ExpectOneErrorLine(RunPetrel({"--kernel", PETREL_NULL_GUEST_ELF, "--serial", "bogus"}),
                     "--serial");
  ExpectOneErrorLine(RunPetrel({"--kernel", PETREL_NULL_GUEST_ELF, "--frobnicate"}),
                     "--frobnicate");
  ExpectOneErrorLine(RunPetrel({"--cpus", "boot=1"}), "--kernel");
}

// Starts petrel in the background (output discarded); returns its pid.
pid_t StartPetrel(std::vector<std::string> args) {
  pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    ExecPetrel(args);
  }
  return pid;
}

// One HTTP request over the UNIX socket; the whole response, or "".
std::string Request(const std::string& socket_path, const std::string& request) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof(addr.sun_path) - 1);
  std::string response;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 &&
      write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
    std::array<char, 4096> buf;
    ssize_t n;
    while ((n = read(fd, buf.data(), buf.size())) > 0) response.append(buf.data(), size_t(n));
  }
  close(fd);
  return response;
}

std::string Ping(const std::string& socket_path) {
  return Request(socket_path,
                 "GET /api/v1/vmm.ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
}

// Waits up to 10 s for the API to answer.
bool WaitForApi(const std::string& socket_path) {
  for (int i = 0; i < 1000; ++i) {
    if (Ping(socket_path).rfind("HTTP/1.1 200", 0) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

int WaitExit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Cloud Hypervisor's orchestrator mode: only --api-socket; the VMM waits for
// vm.create. SIGTERM and SIGINT end it cleanly: exit 0, socket removed.
TEST(PetrelCliTest, EmptyVmmServesTheApiAndEndsCleanlyOnSigtermAndSigint) {
  for (int signal_number : {SIGTERM, SIGINT}) {
    const std::string sock = UniqueTemp("petrel-empty.sock");
    unlink(sock.c_str());
    pid_t pid = StartPetrel({"--api-socket", "path=" + sock});
    ASSERT_TRUE(WaitForApi(sock));
    struct stat st {};
    ASSERT_EQ(lstat(sock.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    // No VM yet: vm.info is 404, as CH's.
    EXPECT_EQ(Request(sock, "GET /api/v1/vm.info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                  .rfind("HTTP/1.1 404", 0),
              0u);
    // A second VMM refuses the live socket and leaves it to the first.
    auto second = RunPetrel({"--api-socket", "path=" + sock});
    ExpectOneErrorLine(second, "--api-socket");
    EXPECT_EQ(Ping(sock).rfind("HTTP/1.1 200", 0), 0u);
    kill(pid, signal_number);
    EXPECT_EQ(WaitExit(pid), 0) << "signal " << signal_number;
    EXPECT_NE(lstat(sock.c_str(), &st), 0) << "the socket file was left behind";
  }
}

std::vector<int> ListTids(const std::string& dir) {
  std::vector<int> tids;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') tids.push_back(std::atoi(e->d_name));
    }
    closedir(d);
  }
  return tids;
}

// The seccomp state of each thread of `pid`: "Seccomp:" (2 = filter) and
// the number of filters, one line per thread, from /proc.
std::vector<std::pair<int, int>> ThreadSeccomp(pid_t pid) {
  std::vector<std::pair<int, int>> out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  for (int tid : ListTids(dir)) {
    std::ifstream status(dir + "/" + std::to_string(tid) + "/status");
    int mode = -1, filters = -1;
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("Seccomp:", 0) == 0) mode = std::stoi(line.substr(8));
      if (line.rfind("Seccomp_filters:", 0) == 0) filters = std::stoi(line.substr(16));
    }
    out.emplace_back(mode, filters);
  }
  return out;
}

// --seccomp (default true, as Cloud Hypervisor): every thread of a running
// VMM has a filter; the API thread has its own on top of the VMM thread's.
// --seccomp false: none.
TEST(PetrelCliTest, EveryThreadIsUnderASeccompFilterByDefault) {
  if (petrel::isolation::DefaultSeccompMode() == petrel::isolation::SeccompMode::kOff) {
    GTEST_SKIP() << "a sanitizer build runs without seccomp by default";
  }
  for (const char* mode : {"default", "false"}) {
    const std::string sock = UniqueTemp("petrel-seccomp.sock");
    unlink(sock.c_str());
    std::vector<std::string> args = {"--api-socket", "path=" + sock};
    if (std::string(mode) == "false") args.insert(args.end(), {"--seccomp", "false"});
    pid_t pid = StartPetrel(args);
    ASSERT_TRUE(WaitForApi(sock)) << mode;
    // The API answers before the signal thread may have started (a loaded
    // machine shows it): wait for the three.
    auto threads = ThreadSeccomp(pid);
    for (int i = 0; i < 500 && threads.size() < 3; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      threads = ThreadSeccomp(pid);
    }
    ASSERT_GE(threads.size(), 3u) << mode;  // VMM, API, signal
    int most_filters = 0;
    for (const auto& [state, filters] : threads) {
      if (std::string(mode) == "false") {
        EXPECT_EQ(state, 0);
      } else {
        EXPECT_EQ(state, 2);
        EXPECT_GE(filters, 1);
      }
      most_filters = std::max(most_filters, filters);
    }
    if (std::string(mode) != "false") {
      EXPECT_EQ(most_filters, 2) << "the API/signal threads' own";
    }
    kill(pid, SIGTERM);
    EXPECT_EQ(WaitExit(pid), 0) << mode;
  }
}

TEST(PetrelCliTest, ABadSeccompValueIsOneClearLine) {
  ExpectOneErrorLine(RunPetrel({"--kernel", PETREL_NULL_GUEST_ELF, "--seccomp", "yes"}),
                     "true, false, log, errno");
}

// --event-monitor: the binary writes the VMM's events as Cloud Hypervisor
// does (pretty JSON, a blank line after each).
TEST(PetrelCliTest, EventMonitorGetsTheVmmsEvents) {
  const std::string sock = UniqueTemp("petrel-events.sock");
  const std::string events = UniqueTemp("petrel-events.json");
  unlink(sock.c_str());
  unlink(events.c_str());
  pid_t pid = StartPetrel({"--api-socket", "path=" + sock, "--event-monitor", "path=" + events});
  ASSERT_TRUE(WaitForApi(sock));
  const std::string body = R"({"payload":{"kernel":"/nonexistent"}})";
  EXPECT_EQ(Request(sock, "PUT /api/v1/vm.create HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                          "Content-Type: application/json\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body)
                .rfind("HTTP/1.1 204", 0),
            0u);
  EXPECT_EQ(Request(sock, "PUT /api/v1/vm.delete HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .rfind("HTTP/1.1 204", 0),
            0u);
  EXPECT_EQ(Request(sock, "PUT /api/v1/vmm.shutdown HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .rfind("HTTP/1.1 204", 0),
            0u);
  EXPECT_EQ(WaitExit(pid), 0);
  std::ifstream in(events);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t starting = text.find("\"source\": \"vmm\",\n  \"event\": \"starting\"");
  const size_t deleted = text.find("\"source\": \"vm\",\n  \"event\": \"deleted\"");
  const size_t shutdown = text.find("\"source\": \"vmm\",\n  \"event\": \"shutdown\"");
  EXPECT_NE(starting, std::string::npos) << text;
  EXPECT_NE(deleted, std::string::npos) << text;
  EXPECT_NE(shutdown, std::string::npos) << text;
  EXPECT_LT(starting, deleted);
  EXPECT_LT(deleted, shutdown);
  EXPECT_EQ(text.substr(text.size() - 3), "}\n\n") << "each event ends with a blank line";
}

// The terminal goes raw only when a VM's console uses it: an empty VMM on a
// terminal leaves it as it was (line editing on).
TEST(PetrelCliTest, EmptyVmmLeavesTheTerminalAlone) {
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  const std::string slave_path = ptsname(master);
  const std::string sock = UniqueTemp("petrel-tty.sock");
  unlink(sock.c_str());
  pid_t pid = fork();
  if (pid == 0) {
    int slave = open(slave_path.c_str(), O_RDWR);
    dup2(slave, 0);
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    std::vector<std::string> args = {"--api-socket", "path=" + sock};
    ExecPetrel(args);
  }
  ASSERT_TRUE(WaitForApi(sock));
  int slave = open(slave_path.c_str(), O_RDWR | O_NOCTTY);
  ASSERT_GE(slave, 0);
  termios t{};
  ASSERT_EQ(tcgetattr(slave, &t), 0);
  EXPECT_NE(t.c_lflag & ICANON, 0u) << "the empty VMM put the terminal in raw mode";
  EXPECT_NE(t.c_lflag & ECHO, 0u);
  kill(pid, SIGTERM);
  EXPECT_EQ(WaitExit(pid), 0);
  close(slave);
  close(master);
}

TEST(PetrelCliTest, VersionAndHelp) {
  auto v = RunPetrel({"--version"});
  EXPECT_EQ(v.status, 0);
  EXPECT_EQ(v.out, "petrel " + std::string(petrel::build_info::BuildVersion()) +
                       "\nMigration Protocol Versions: 0\n");
  auto h = RunPetrel({"--help"});
  EXPECT_EQ(h.status, 0);
  EXPECT_NE(h.out.find("--kernel"), std::string::npos);
  // No arguments: the help, as Cloud Hypervisor prints it (status 0 as petrel).
  auto none = RunPetrel({});
  EXPECT_EQ(none.status, 0);
  EXPECT_NE(none.out.find("Usage: petrel [OPTIONS]"), std::string::npos) << none.out << none.err;
}

// --landlock: a path the config names that does not exist is named before
// any hypervisor is opened; with KVM, the null guest boots confined (its
// kernel, disk, serial file and --record-io trace are what it may use).
TEST(PetrelCliTest, LandlockNamesAMissingPath) {
  if (auto abi = petrel::LandlockAbiVersion(); !abi.ok()) GTEST_SKIP() << abi.error().message();
  ExpectOneErrorLine(RunPetrel({"--kernel", PETREL_NULL_GUEST_ELF, "--console", "off", "--disk",
                                "path=/nonexistent/disk.raw", "--landlock"}),
                     "landlock: /nonexistent/disk.raw: does not exist");
  ExpectOneErrorLine(RunPetrel({"--kernel", PETREL_NULL_GUEST_ELF, "--console", "off",
                                "--landlock", "--landlock-rules",
                                "path=/nonexistent/hotplug,access=rw"}),
                     "landlock: /nonexistent/hotplug: does not exist");
}

TEST(PetrelCliTest, LandlockedNullGuestBootsOnKvm) {
  if (auto abi = petrel::LandlockAbiVersion(); !abi.ok()) GTEST_SKIP() << abi.error().message();
  const char* force = getenv("PETREL_FORCE_NO_KVM");
  if (force != nullptr && std::string(force) == "1") GTEST_SKIP() << "PETREL_FORCE_NO_KVM=1";
  if (access("/dev/kvm", R_OK | W_OK) != 0) GTEST_SKIP() << "/dev/kvm is not usable here";
  const std::string serial = ::testing::TempDir() + "/landlock-serial.log";
  const std::string trace = ::testing::TempDir() + "/landlock-io.trace";
  unlink(serial.c_str());
  unlink(trace.c_str());
  const std::string disk = TempFile("landlock-disk.raw", std::string(1 << 16, '\0'));
  auto r = RunPetrel({"--kernel", PETREL_NULL_GUEST_ELF, "--memory", "size=64M", "--serial",
                      "file=" + serial, "--console", "off", "--disk", "path=" + disk,
                      "--record-io", trace, "--landlock"});
  EXPECT_EQ(r.status, 0) << r.err;
  std::ifstream serial_file(serial);
  const std::string output((std::istreambuf_iterator<char>(serial_file)),
                           std::istreambuf_iterator<char>());
  EXPECT_EQ(output, "PETREL-NULL-OK\n");
  // Written at exit by the confined main thread.
  std::ifstream trace_file(trace);
  std::string header;
  std::getline(trace_file, header);
  EXPECT_EQ(header, "petrel-io-trace 1");
}

// Pages a new mapping can still reserve from the host's 2 MiB pool (free,
// not reserved, plus what overcommit allows); -1 without hugetlbfs.
int64_t AvailableHugePages2M() {
  const std::string dir = "/sys/kernel/mm/hugepages/hugepages-2048kB/";
  int64_t free = -1, reserved = -1, overcommit = -1, surplus = -1;
  std::ifstream(dir + "free_hugepages") >> free;
  std::ifstream(dir + "resv_hugepages") >> reserved;
  std::ifstream(dir + "nr_overcommit_hugepages") >> overcommit;
  std::ifstream(dir + "surplus_hugepages") >> surplus;
  if (free < 0 || reserved < 0 || overcommit < 0 || surplus < 0) return -1;
  return std::max<int64_t>(free - reserved, 0) + std::max<int64_t>(overcommit - surplus, 0);
}

// --memory hugepages=on asking more than the host's pool has free: one
// clear line saying how to reserve them, exit status 1, no SIGBUS (the
// pages are reserved when mapped, before any guest runs).
TEST(PetrelCliTest, HugePagesTheHostLacksAreOneClearLine) {
  const int64_t available = AvailableHugePages2M();
  if (available < 0) GTEST_SKIP() << "no 2 MiB hugetlbfs pool on this host";
  const int64_t want = available + 64;  // margin: other tests may free pages meanwhile
  if (want > 4096) GTEST_SKIP() << "the host lets " << available << " huge pages be reserved";
  const auto r =
      RunPetrel({"--kernel", PETREL_NULL_GUEST_ELF, "--console", "off", "--memory",
                 "size=" + std::to_string(want * 2) + "M,hugepages=on,hugepage_size=2M"});
  ExpectOneErrorLine(r, "needs " + std::to_string(want) + " free huge pages of 2 MiB");
  EXPECT_NE(r.err.find("echo "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"), std::string::npos)
      << r.err;
}

// The null guest on 2 MiB huge pages. Skips, saying so, unless the host has
// 32 free (nr_hugepages is 0 by default; this test never changes it).
TEST(PetrelCliTest, NullGuestBootsOnHugePagesOnKvm) {
  const char* force = getenv("PETREL_FORCE_NO_KVM");
  if (force != nullptr && std::string(force) == "1") GTEST_SKIP() << "PETREL_FORCE_NO_KVM=1";
  if (access("/dev/kvm", R_OK | W_OK) != 0) GTEST_SKIP() << "/dev/kvm is not usable here";
  const int64_t available = AvailableHugePages2M();
  if (available < 32) {
    GTEST_SKIP() << "needs 32 free 2 MiB huge pages, the host has "
                 << std::max<int64_t>(available, 0)
                 << "; to run it: echo 32 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages";
  }
  const std::string serial = UniqueTemp("hugepages-serial.log");
  unlink(serial.c_str());
  auto r = RunPetrel({"--kernel", PETREL_NULL_GUEST_ELF, "--memory",
                      "size=64M,hugepages=on,hugepage_size=2M,prefault=on", "--serial",
                      "file=" + serial, "--console", "off"});
  EXPECT_EQ(r.status, 0) << r.err;
  std::ifstream serial_file(serial);
  const std::string output((std::istreambuf_iterator<char>(serial_file)),
                           std::istreambuf_iterator<char>());
  EXPECT_EQ(output, "PETREL-NULL-OK\n");
  unlink(serial.c_str());
}

}  // namespace
