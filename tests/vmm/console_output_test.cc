// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Console backends: file output, and the socket mode's output and input
// through a real UNIX socket and the epoll event loop.
#include "vmm/console_output.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <poll.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <future>
#include <thread>
#include <sstream>
#include <string>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/event/epoll_event_loop.h"

namespace petrel::vmm {
namespace {

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Reads from `fd` (blocking reads after poll) until `want` bytes have come or
// `timeout_ms` passes without any byte; runs `loop` between reads so queued
// output can drain.
std::string ReadAll(int fd, size_t want, EventLoop* loop, int timeout_ms = 2000) {
  std::string got;
  auto last = std::chrono::steady_clock::now();
  while (got.size() < want) {
    if (loop != nullptr) (void)loop->RunOnce(1'000'000);
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 10) > 0 && (p.revents & POLLIN) != 0) {
      char buf[65536];
      ssize_t n = read(fd, buf, sizeof buf);
      if (n > 0) {
        got.append(buf, static_cast<size_t>(n));
        last = std::chrono::steady_clock::now();
        continue;
      }
    }
    if (std::chrono::steady_clock::now() - last > std::chrono::milliseconds(timeout_ms)) break;
  }
  return got;
}

// `n` bytes of a recognisable pattern: line k is "line k\n", so a gap or a
// reordering shows in the comparison.
std::string Pattern(size_t n) {
  std::string s;
  for (size_t k = 0; s.size() < n; ++k) s += "line " + std::to_string(k) + "\n";
  s.resize(n);
  return s;
}

// Points stdout at `fd` until Restore() or destruction. Nothing may print
// meanwhile (gtest would block on a full pipe too), so tests record results
// and check them after Restore().
class StdoutRedirect {
 public:
  explicit StdoutRedirect(int fd) : saved_(dup(STDOUT_FILENO)) {
    fflush(stdout);
    dup2(fd, STDOUT_FILENO);
  }
  ~StdoutRedirect() { Restore(); }
  void Restore() {
    if (saved_ < 0) return;
    dup2(saved_, STDOUT_FILENO);
    close(saved_);
    saved_ = -1;
  }

 private:
  int saved_;
};

int Connect(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << strerror(errno);
  return fd;
}

TEST(ConsoleOutputTest, OffMeansNoDevice) {
  auto out = OpenConsoleOutput({config::OutputMode::kOff, {}}, "--serial");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->get(), nullptr);
}

TEST(ConsoleOutputTest, FileAppends) {
  const std::string path = ::testing::TempDir() + "/console-file.txt";
  unlink(path.c_str());
  {
    auto out = OpenConsoleOutput({config::OutputMode::kFile, path}, "--serial");
    ASSERT_TRUE(out.ok()) << out.error().message();
    (*out)->Write(Bytes("hello "));
    (*out)->Write(Bytes("world\n"));
    EXPECT_EQ((*out)->bytes_written(), 12u);
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "hello world\n");
}

TEST(ConsoleOutputTest, FileInMissingDirectoryIsAClearError) {
  auto out = OpenConsoleOutput({config::OutputMode::kFile, "/nonexistent/dir/x"}, "--serial");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message(),
            "--serial: cannot open /nonexistent/dir/x: No such file or directory");
}

TEST(ConsoleOutputTest, SocketCarriesOutputAndInput) {
  const std::string path = ::testing::TempDir() + "/console.sock";
  MonotonicClock clock;
  auto loop = EpollEventLoop::Create(clock);
  ASSERT_TRUE(loop.ok());
  auto out = OpenConsoleOutput({config::OutputMode::kSocket, path}, "--serial");
  ASSERT_TRUE(out.ok()) << out.error().message();
  std::string input;
  ASSERT_TRUE(
      (*out)
          ->AttachInput(**loop,
                        [&input](std::span<const uint8_t> b) { input.append(b.begin(), b.end()); })
          .ok());

  (*out)->Write(Bytes("lost: nobody is connected\n"));
  int client = Connect(path);
  ASSERT_TRUE((*loop)->RunOnce(1'000'000'000).ok());  // accept
  (*out)->Write(Bytes("guest says hi\n"));
  char buf[64] = {};
  ssize_t n = recv(client, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "guest says hi\n");

  ASSERT_EQ(send(client, "ls\n", 3, 0), 3);
  for (int i = 0; i < 10 && input.size() < 3; ++i) ASSERT_TRUE((*loop)->RunOnce(100'000'000).ok());
  EXPECT_EQ(input, "ls\n");
  close(client);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*loop)->RunOnce(10'000'000).ok());  // sees EOF
  (*out)->Write(Bytes("after the client left\n"));                             // no crash, dropped
  out->reset();
  struct stat st {};
  EXPECT_NE(lstat(path.c_str(), &st), 0) << "socket file left behind";
}

// Suspected in issue 8: a guest writing to a socket console whose client
// has gone logged a line per write until the loop noticed the hang-up. One
// line per client now; the rest is dropped quietly.
TEST(ConsoleOutputTest, SocketClientGoneIsLoggedOncePerClient) {
  const std::string path = ::testing::TempDir() + "/console-gone.sock";
  MonotonicClock clock;
  auto loop = EpollEventLoop::Create(clock);
  ASSERT_TRUE(loop.ok());
  auto out = OpenConsoleOutput({config::OutputMode::kSocket, path}, "--serial");
  ASSERT_TRUE(out.ok()) << out.error().message();
  ASSERT_TRUE((*out)->AttachInput(**loop, [](std::span<const uint8_t>) {}).ok());
  int client = Connect(path);
  ASSERT_TRUE((*loop)->RunOnce(1'000'000'000).ok());  // accept
  close(client);                                      // the loop has not seen it yet
  log::SetVerbosity(1);
  log::CaptureForTest(true);
  for (int i = 0; i < 100; ++i) (*out)->Write(Bytes("guest output\n"));
  const std::string logged = log::TakeCaptured();
  log::CaptureForTest(false);
  log::SetVerbosity(0);
  size_t lines = 0;
  for (size_t at = logged.find("client gone"); at != std::string::npos;
       at = logged.find("client gone", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 1u) << logged;
  out->reset();
}

TEST(ConsoleOutputTest, PtyCarriesOutputAndInputThroughItsSlave) {
  MonotonicClock clock;
  auto loop = EpollEventLoop::Create(clock);
  ASSERT_TRUE(loop.ok());
  // Open announces the slave's path on stderr, as the user needs it.
  testing::internal::CaptureStderr();
  auto out = OpenConsoleOutput({config::OutputMode::kPty, {}}, "--console");
  const std::string announced = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(out.ok()) << out.error().message();
  const std::string prefix = "petrel: --console pty: ";
  ASSERT_EQ(announced.rfind(prefix, 0), 0u) << announced;
  const std::string path = announced.substr(prefix.size(), announced.size() - prefix.size() - 1);
  std::string input;
  ASSERT_TRUE(
      (*out)
          ->AttachInput(**loop,
                        [&input](std::span<const uint8_t> b) { input.append(b.begin(), b.end()); })
          .ok());
  // Nobody attached yet: the loop must not spin on a hang-up.
  ASSERT_TRUE((*loop)->RunOnce(10'000'000).ok());
  const int user = open(path.c_str(), O_RDWR | O_NOCTTY);
  ASSERT_GE(user, 0) << path;
  termios raw{};
  ASSERT_EQ(tcgetattr(user, &raw), 0);
  cfmakeraw(&raw);
  ASSERT_EQ(tcsetattr(user, TCSANOW, &raw), 0);
  (*out)->Write(Bytes("hvc0 says hi\n"));
  char buf[64] = {};
  ssize_t n = read(user, buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "hvc0 says hi\n");
  ASSERT_EQ(write(user, "ls\n", 3), 3);
  for (int i = 0; i < 10 && input.size() < 3; ++i) ASSERT_TRUE((*loop)->RunOnce(100'000'000).ok());
  EXPECT_EQ(input, "ls\n");
  close(user);
  ASSERT_TRUE((*loop)->RunOnce(10'000'000).ok());  // the user left: nothing breaks
  (*out)->Write(Bytes("after the user left\n"));
  EXPECT_EQ((*out)->bytes_written(), 13u + 20u);
}

// Suspected in issue 8: `--serial tty` wrote to stdout with a blocking
// write(2) on the vCPU thread, so a stdout whose reader stalls (a pipe into a
// pager, a terminal on hold) stopped the vCPU. A Write must return at once
// whatever the reader does, and a reader that catches up later gets every
// byte that fitted in the output buffer, in order.
TEST(ConsoleOutputTest, TtyWriteToAStalledReaderDoesNotBlock) {
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  ASSERT_GT(fcntl(pipe_fds[1], F_SETPIPE_SZ, 4096), 0);
  MonotonicClock clock;
  auto loop = EpollEventLoop::Create(clock);
  ASSERT_TRUE(loop.ok());
  const std::string text = Pattern(256 * 1024);  // 64 times the pipe
  StdoutRedirect redirect(pipe_fds[1]);
  auto out = OpenConsoleOutput({config::OutputMode::kTty, {}}, "--serial", loop->get());
  bool returned = false;
  std::string got;
  if (out.ok()) {
    auto writer = std::async(std::launch::async, [&] {
      for (size_t at = 0; at < text.size(); at += 1000) {
        (*out)->Write(Bytes(text.substr(at, 1000)));  // as a UART would, a little at a time
      }
    });
    returned = writer.wait_for(std::chrono::seconds(2)) == std::future_status::ready;
    // The reader catches up (on the old code this also unblocks the writer).
    got = ReadAll(pipe_fds[0], text.size(), loop->get());
    writer.wait();
  }
  redirect.Restore();
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_TRUE(returned) << "Write() blocked on a reader that does not read";
  EXPECT_EQ(got.size(), text.size());
  EXPECT_TRUE(got == text) << "output lost or reordered";
  EXPECT_EQ((*out)->bytes_dropped(), 0u);
  out->reset();
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

// A VMM started without a stdout (closed, as a daemon may have it) still
// starts with --console tty (the default); the output is dropped and counted.
TEST(ConsoleOutputTest, TtyWithoutStdoutDropsAndCounts) {
  const int saved = dup(STDOUT_FILENO);
  ASSERT_GE(saved, 0);
  fflush(stdout);
  close(STDOUT_FILENO);
  auto out = OpenConsoleOutput({config::OutputMode::kTty, {}}, "--console");
  if (out.ok()) (*out)->Write(Bytes("nobody sees this\n"));
  dup2(saved, STDOUT_FILENO);
  close(saved);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ((*out)->bytes_written(), 17u);
  EXPECT_EQ((*out)->bytes_dropped(), 17u);
}

// The pty master is non-blocking, so output beyond the pty's own buffer
// (a few KiB) used to be dropped while the user was not reading. It is
// queued now, and a user who reads later gets all of it.
TEST(ConsoleOutputTest, PtySlowReaderLosesNothingWithinTheBuffer) {
  MonotonicClock clock;
  auto loop = EpollEventLoop::Create(clock);
  ASSERT_TRUE(loop.ok());
  testing::internal::CaptureStderr();
  auto out = OpenConsoleOutput({config::OutputMode::kPty, {}}, "--console", loop->get());
  const std::string announced = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(out.ok()) << out.error().message();
  const std::string prefix = "petrel: --console pty: ";
  ASSERT_EQ(announced.rfind(prefix, 0), 0u) << announced;
  const std::string path = announced.substr(prefix.size(), announced.size() - prefix.size() - 1);
  const int user = open(path.c_str(), O_RDWR | O_NOCTTY);
  ASSERT_GE(user, 0) << path;
  termios raw{};
  ASSERT_EQ(tcgetattr(user, &raw), 0);
  cfmakeraw(&raw);
  ASSERT_EQ(tcsetattr(user, TCSANOW, &raw), 0);
  const std::string text = Pattern(200 * 1024);
  for (size_t at = 0; at < text.size(); at += 1000) (*out)->Write(Bytes(text.substr(at, 1000)));
  // Only now does the user read.
  const std::string got = ReadAll(user, text.size(), loop->get());
  EXPECT_EQ(got.size(), text.size());
  EXPECT_TRUE(got == text) << "output lost or reordered";
  close(user);
}

// A reader that never catches up: what does not fit in the buffer is
// dropped and counted, the writer never waits, and the drop is logged once.
TEST(ConsoleOutputTest, OutputBeyondTheBufferIsDroppedAndCounted) {
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  ASSERT_GT(fcntl(pipe_fds[1], F_SETPIPE_SZ, 4096), 0);
  MonotonicClock clock;
  auto loop = EpollEventLoop::Create(clock);
  ASSERT_TRUE(loop.ok());
  const std::string chunk(4096, 'x');
  const size_t total = kConsoleOutputBufferBytes + 64 * 1024 + 4096 * 8;
  log::SetVerbosity(1);
  log::CaptureForTest(true);
  StdoutRedirect redirect(pipe_fds[1]);
  auto out = OpenConsoleOutput({config::OutputMode::kTty, {}}, "--serial", loop->get());
  bool returned = false;
  if (out.ok()) {
    auto writer = std::async(std::launch::async, [&] {
      for (size_t done = 0; done < total; done += chunk.size()) {
        (*out)->Write(Bytes(chunk));
        (void)(*loop)->RunOnce(0);
      }
    });
    returned = writer.wait_for(std::chrono::seconds(2)) == std::future_status::ready;
    if (!returned) {  // the old code: unblock the writer before failing
      std::thread drain([&] { (void)ReadAll(pipe_fds[0], total, nullptr, 500); });
      writer.wait();
      drain.join();
    }
  }
  redirect.Restore();
  const std::string logged = log::TakeCaptured();
  log::CaptureForTest(false);
  log::SetVerbosity(0);
  ASSERT_TRUE(out.ok()) << out.error().message();
  ASSERT_TRUE(returned) << "Write() blocked on a reader that does not read";
  EXPECT_EQ((*out)->bytes_written(), total);
  // The pipe holds at most its 4 KiB (a page), the buffer its capacity.
  EXPECT_GE((*out)->bytes_dropped(), total - kConsoleOutputBufferBytes - 4096);
  EXPECT_LE((*out)->bytes_dropped(), total - kConsoleOutputBufferBytes);
  size_t lines = 0;
  for (size_t at = logged.find("output dropped"); at != std::string::npos;
       at = logged.find("output dropped", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 1u) << logged;
  out->reset();
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

// File mode has a cap on the file's size (docs/features.md): a guest cannot
// fill the host's disk. Output past the cap is dropped, counted and logged
// once; the file keeps every byte up to the cap. The cap counts what the
// file held before (it is appended to across runs and guest reboots).
TEST(ConsoleOutputTest, FileStopsGrowingAtItsCap) {
  const std::string path = ::testing::TempDir() + "/console-capped.txt";
  unlink(path.c_str());
  std::ofstream(path) << "old run\n";  // 8 bytes from before
  config::OutputConfig mode{config::OutputMode::kFile, path};
  mode.file_max_bytes = 100;
  log::SetVerbosity(1);
  log::CaptureForTest(true);
  {
    auto out = OpenConsoleOutput(mode, "--serial");
    ASSERT_TRUE(out.ok()) << out.error().message();
    const std::string text = Pattern(300);
    for (size_t at = 0; at < text.size(); at += 30) (*out)->Write(Bytes(text.substr(at, 30)));
    EXPECT_EQ((*out)->bytes_written(), 300u);
    EXPECT_EQ((*out)->bytes_dropped(), 300u - 92u);
  }
  const std::string logged = log::TakeCaptured();
  log::CaptureForTest(false);
  log::SetVerbosity(0);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 100);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "old run\n" + Pattern(92));
  size_t lines = 0;
  for (size_t at = logged.find("reached its cap"); at != std::string::npos;
       at = logged.find("reached its cap", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 1u) << logged;
  // A new VM on the same file (a guest reboot) starts at the cap: nothing more.
  auto again = OpenConsoleOutput(mode, "--serial");
  ASSERT_TRUE(again.ok());
  (*again)->Write(Bytes("more"));
  EXPECT_EQ((*again)->bytes_dropped(), 4u);
  again->reset();
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 100);
}

TEST(ConsoleOutputTest, SocketPathThatIsARegularFileIsRefused) {
  const std::string path = ::testing::TempDir() + "/not-a-socket";
  std::ofstream(path) << "data";
  auto out = OpenConsoleOutput({config::OutputMode::kSocket, path}, "--serial");
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message().find("is not a socket"), std::string::npos);
  std::ifstream in(path);
  std::string kept;
  in >> kept;
  EXPECT_EQ(kept, "data");  // the user's file is untouched
}

}  // namespace
}  // namespace petrel::vmm
