// The petrel binary's answer to bad input: one clear error line on stderr, a
// non-zero exit status, no crash. Runs the real binary (no /dev/kvm needed:
// every error here is found before the hypervisor is opened).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

struct RunResult {
  int status = -1;  // exit status, or 128 + signal
  std::string err;  // stderr
  std::string out;  // stdout
};

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
    std::vector<char*> argv;
    static std::string bin = PETREL_BINARY;
    argv.push_back(bin.data());
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
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

TEST(PetrelCliTest, VersionAndHelp) {
  auto v = RunPetrel({"--version"});
  EXPECT_EQ(v.status, 0);
  EXPECT_EQ(v.out, "petrel 0.1.0\n");
  auto h = RunPetrel({"--help"});
  EXPECT_EQ(h.status, 0);
  EXPECT_NE(h.out.find("--kernel"), std::string::npos);
}

}  // namespace
