// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Console backends (see console_output.h).
#include "vmm/console_output.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "core/base/log.h"

namespace petrel::vmm {

const isolation::SyscallRules& ConsoleOutputSyscalls() {
  static const isolation::SyscallRules rules = {SYS_write, SYS_sendto, SYS_epoll_ctl};
  return rules;
}
namespace {

// Console input is read in chunks of this size; the UART FIFO takes what fits.
constexpr size_t kInputChunk = 64;

// Writes everything, retrying on EINTR and short writes; returns the bytes
// written. Output errors (a full disk) drop the rest: the guest must not stall.
size_t WriteAll(int fd, std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

// Reads what `fd` has and hands it to `sink`; false at end of input or on error.
bool ForwardInput(int fd, const ConsoleOutput::InputSink& sink) {
  uint8_t buf[kInputChunk];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n > 0) {
    sink(std::span<const uint8_t>(buf, static_cast<size_t>(n)));
    return true;
  }
  return n < 0 && (errno == EINTR || errno == EAGAIN);
}

// Output to a stream whose reader may stall (a pipe, FIFO, terminal or pty),
// without ever blocking the writer. `fd` is owned and non-blocking (or a
// socket, written with MSG_DONTWAIT). Write() writes straight through while
// the fd has room and nothing is queued; what does not fit is queued, up to
// kConsoleOutputBufferBytes, and the queue is drained in order by the
// control loop (a writable-fd watch) or by the next Write(). Bytes that do
// not fit in the queue are dropped and counted; the first drop is logged.
// A write error (the reader has gone) drops the queue the same way.
class QueuedWriter : public std::enable_shared_from_this<QueuedWriter> {
 public:
  QueuedWriter(int fd, bool socket, std::string what, EventLoop* loop)
      : fd_(fd), socket_(socket), what_(std::move(what)), loop_(loop) {}
  ~QueuedWriter() {
    if (fd_ >= 0) close(fd_);
  }

  // Any thread.
  void Write(std::span<const uint8_t> bytes) {
    bool post = false;
    {
      std::lock_guard lock(mu_);
      FlushLocked();
      size_t done = 0;
      if (queued() == 0) done = WriteSomeLocked(bytes);
      const size_t rest = bytes.size() - done;
      const size_t room = kConsoleOutputBufferBytes - queued();
      const size_t take = std::min(rest, room);
      buf_.insert(buf_.end(), bytes.begin() + static_cast<ptrdiff_t>(done),
                  bytes.begin() + static_cast<ptrdiff_t>(done + take));
      if (take < rest) DropLocked(rest - take, "the output buffer is full");
      if (queued() != 0 && loop_ != nullptr && !drain_armed_) post = drain_armed_ = true;
    }
    if (post) {
      std::weak_ptr<QueuedWriter> weak = weak_from_this();
      if (!loop_->Post([weak] {
                   if (auto self = weak.lock()) self->Drain();
                 }).ok()) {
        std::lock_guard lock(mu_);
        drain_armed_ = false;  // the next Write() tries again
      }
    }
  }

  // The control loop's thread: writes what the fd takes; watches it for room
  // while anything is left.
  void Drain() {
    std::lock_guard lock(mu_);
    FlushLocked();
    if (queued() != 0 && watch_ == 0) {
      std::weak_ptr<QueuedWriter> weak = weak_from_this();
      auto watched = loop_->WatchFdWritable(fd_, [weak] {
        if (auto self = weak.lock()) self->Drain();
      });
      if (watched.ok()) {
        watch_ = *watched;
      } else {
        DropLocked(queued(), watched.error().message().c_str());
        buf_.clear();
        head_ = 0;
      }
    }
    if (queued() == 0) {
      if (watch_ != 0) loop_->Remove(watch_);
      watch_ = 0;
      drain_armed_ = false;
    }
  }

  // Owner's destructor: what is still queued gets written while the reader
  // makes progress, giving up after kFlushStallMs without any.
  void FlushBeforeClose() {
    std::lock_guard lock(mu_);
    if (watch_ != 0 && loop_ != nullptr) loop_->Remove(watch_);
    watch_ = 0;
    while (queued() != 0 && fd_ >= 0) {
      pollfd p{fd_, POLLOUT, 0};
      if (poll(&p, 1, kFlushStallMs) <= 0 || (p.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0)
        break;
      const size_t before = queued();
      FlushLocked();
      if (queued() == before) break;
    }
  }

  uint64_t dropped() const { return dropped_.load(); }

 private:
  static constexpr int kFlushStallMs = 200;

  size_t queued() const { return buf_.size() - head_; }

  // Writes what the fd takes now; an error other than "full" drops what is
  // queued (the reader has gone).
  size_t WriteSomeLocked(std::span<const uint8_t> bytes) {
    size_t done = 0;
    while (done < bytes.size() && !failed_) {
      ssize_t n = socket_ ? send(fd_, bytes.data() + done, bytes.size() - done,
                                 MSG_DONTWAIT | MSG_NOSIGNAL)
                          : write(fd_, bytes.data() + done, bytes.size() - done);
      if (n > 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        failed_ = true;
        PETREL_LOG(kWarn) << what_ << ": output failed, dropping it from now on: "
                          << std::strerror(errno);
      }
      break;
    }
    if (failed_) {
      DropLocked(bytes.size() - done, "output failed");
      return bytes.size();
    }
    return done;
  }

  void FlushLocked() {
    if (queued() == 0) return;
    head_ += WriteSomeLocked(std::span<const uint8_t>(buf_).subspan(head_));
    if (head_ == buf_.size()) {
      buf_.clear();
      head_ = 0;
    } else if (head_ > kConsoleOutputBufferBytes / 2) {
      buf_.erase(buf_.begin(), buf_.begin() + static_cast<ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  void DropLocked(size_t n, const char* why) {
    if (n == 0) return;
    dropped_ += n;
    if (!logged_drop_) {
      logged_drop_ = true;
      PETREL_LOG(kWarn) << what_ << ": output dropped (" << why << "; up to "
                        << kConsoleOutputBufferBytes
                        << " bytes wait for a slow reader); further drops are only counted";
    }
  }

  const int fd_;
  const bool socket_;
  const std::string what_;
  EventLoop* const loop_;
  std::mutex mu_;
  std::vector<uint8_t> buf_;  // queued bytes are [head_, end)
  size_t head_ = 0;
  bool drain_armed_ = false;  // a Drain is posted or the fd is watched
  WatchId watch_ = 0;         // the writable watch; loop thread
  bool failed_ = false;
  bool logged_drop_ = false;
  std::atomic<uint64_t> dropped_{0};
};

// A ConsoleOutput over a QueuedWriter.
class QueuedOutput : public ConsoleOutput {
 public:
  explicit QueuedOutput(std::shared_ptr<QueuedWriter> writer) : writer_(std::move(writer)) {}
  ~QueuedOutput() override { writer_->FlushBeforeClose(); }
  void Write(std::span<const uint8_t> bytes) override {
    written_ += bytes.size();
    writer_->Write(bytes);
  }
  uint64_t bytes_written() const override { return written_; }
  uint64_t bytes_dropped() const override { return writer_->dropped(); }

 private:
  std::shared_ptr<QueuedWriter> writer_;
  std::atomic<uint64_t> written_{0};
};

// stdout, as a descriptor of our own that never blocks: a regular file is
// used through a dup (it shares the shell's offset and never waits for a
// reader), a socket through a dup written with MSG_DONTWAIT, and anything
// else (terminal, pipe, FIFO) is opened again through /proc/self/fd/1 with
// O_NONBLOCK, a new open file description, so the flag does not reach the
// shell's descriptor or stderr.
// Without a usable stdout (closed, as a daemon may have it), output is
// dropped and counted as before, rather than failing the VM.
std::shared_ptr<QueuedWriter> StdoutWriter(const std::string& what, EventLoop* loop) {
  struct stat st {};
  const bool have = fstat(STDOUT_FILENO, &st) == 0;
  const bool socket = have && S_ISSOCK(st.st_mode);
  const bool stream = have && !S_ISREG(st.st_mode) && !socket;
  int fd = -1;
  if (stream) fd = open("/proc/self/fd/1", O_WRONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (stream) {
      PETREL_LOG(kWarn) << what << ": cannot reopen stdout non-blocking (" << std::strerror(errno)
                        << "); a reader that stalls will stall the guest";
    }
    fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);  // -1 without a stdout: writes fail, dropped
  }
  return std::make_shared<QueuedWriter>(fd, socket, what, loop);
}

// stdout for output, stdin for input.
class TtyConsole final : public QueuedOutput {
 public:
  explicit TtyConsole(std::shared_ptr<QueuedWriter> writer) : QueuedOutput(std::move(writer)) {}
  Result<void> AttachInput(EventLoop& loop, InputSink sink) override {
    auto watch = std::make_shared<WatchId>(0);
    EventLoop* l = &loop;
    auto watched = loop.WatchFd(STDIN_FILENO, [l, watch, sink = std::move(sink)] {
      if (!ForwardInput(STDIN_FILENO, sink)) l->Remove(*watch);  // end of input: no more keys
    });
    if (!watched.ok()) {
      // stdin is not pollable (a regular file, /dev/null): no console input.
      PETREL_LOG(kInfo) << "console: no input from stdin: " << watched.error().message();
      return Ok();
    }
    *watch = *watched;
    return Ok();
  }
};

// file=PATH on a regular file: appended to with plain writes (a file never
// waits for a reader), up to `max_bytes` of file size; past the cap output
// is dropped, counted and logged once. The size is the file's, so the cap
// holds across runs and guest reboots that append to the same file.
class CappedFileOutput final : public ConsoleOutput {
 public:
  CappedFileOutput(int fd, uint64_t size, uint64_t max_bytes, std::string path)
      : fd_(fd), size_(size), max_(max_bytes), path_(std::move(path)) {}
  ~CappedFileOutput() override { close(fd_); }
  void Write(std::span<const uint8_t> bytes) override {
    written_ += bytes.size();
    std::lock_guard lock(mu_);
    if (size_ + bytes.size() > max_) {
      // Someone may have truncated the file (log rotation): look again.
      struct stat st {};
      if (fstat(fd_, &st) == 0) size_ = static_cast<uint64_t>(st.st_size);
    }
    const uint64_t room = size_ < max_ ? max_ - size_ : 0;
    const size_t take = static_cast<size_t>(std::min<uint64_t>(bytes.size(), room));
    const size_t done = WriteAll(fd_, bytes.first(take));
    size_ += done;
    if (done < bytes.size()) {
      dropped_ += bytes.size() - done;
      if (take < bytes.size() && !logged_cap_) {
        logged_cap_ = true;
        PETREL_LOG(kWarn) << "console file " << path_ << " reached its cap of " << max_
                          << " bytes; further output is dropped (logged once)";
      }
    }
  }
  uint64_t bytes_written() const override { return written_; }
  uint64_t bytes_dropped() const override { return dropped_; }

 private:
  const int fd_;
  std::mutex mu_;
  uint64_t size_;
  const uint64_t max_;
  const std::string path_;
  bool logged_cap_ = false;
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> dropped_{0};
};

// A pseudo-terminal: the guest's output goes to the master side and input is
// read from it; the user attaches to the slave (its path is printed on
// stderr, as Cloud Hypervisor logs it). Petrel keeps one slave fd open itself,
// in raw mode, so the master never reports a hang-up when no user is attached
// (input simply waits). The master is non-blocking: output beyond the pty's
// own buffer is queued (QueuedWriter) until the user reads, and dropped only
// when the queue is full.
class PtyConsole final : public QueuedOutput {
 public:
  static Result<std::unique_ptr<ConsoleOutput>> Open(const std::string& what, EventLoop* loop) {
    const int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (master < 0) return Error::FromErrno(what + ": posix_openpt");
    char name[128];
    if (grantpt(master) != 0 || unlockpt(master) != 0 ||
        ptsname_r(master, name, sizeof name) != 0) {
      auto err = Error::FromErrno(what + ": preparing the pty");
      close(master);
      return err;
    }
    const int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) {
      auto err = Error::FromErrno(what + ": opening " + std::string(name));
      close(master);
      return err;
    }
    // Output has a descriptor of its own, so its writable watch and the
    // input's readable watch are separate epoll registrations.
    const int out = fcntl(master, F_DUPFD_CLOEXEC, 0);
    if (out < 0) {
      auto err = Error::FromErrno(what + ": dup(pty master)");
      close(slave);
      close(master);
      return err;
    }
    termios raw{};
    if (tcgetattr(slave, &raw) == 0) {
      cfmakeraw(&raw);
      (void)tcsetattr(slave, TCSANOW, &raw);
    }
    std::fprintf(stderr, "petrel: %s pty: %s\n", what.c_str(), name);
    PETREL_LOG(kInfo) << what << ": pty " << name;
    return std::unique_ptr<ConsoleOutput>(new PtyConsole(
        std::make_shared<QueuedWriter>(out, false, what, loop), master, slave, name));
  }
  ~PtyConsole() override {
    close(slave_);
    close(master_);
  }
  Result<void> AttachInput(EventLoop& loop, InputSink sink) override {
    const int fd = master_;
    PETREL_ASSIGN_OR_RETURN(WatchId id,
                            loop.WatchFd(fd, [fd, sink = std::move(sink)] { ForwardInput(fd, sink); }));
    (void)id;
    return Ok();
  }
  const std::string& path() const { return path_; }

 private:
  PtyConsole(std::shared_ptr<QueuedWriter> writer, int master, int slave, std::string path)
      : QueuedOutput(std::move(writer)), master_(master), slave_(slave), path_(std::move(path)) {}
  int master_;
  int slave_;
  std::string path_;
};

class NullOutput final : public ConsoleOutput {
 public:
  void Write(std::span<const uint8_t> bytes) override { written_ += bytes.size(); }
  uint64_t bytes_written() const override { return written_; }

 private:
  std::atomic<uint64_t> written_{0};
};

class SocketConsole final : public ConsoleOutput {
 public:
  static Result<std::unique_ptr<ConsoleOutput>> Listen(const std::string& path,
                                                       const std::string& what) {
    sockaddr_un addr{};
    if (path.empty() || path.size() >= sizeof addr.sun_path)
      return Error(
          ErrorCode::kInvalidArgument,
          what + ": socket path must be 1.." + std::to_string(sizeof addr.sun_path - 1) + " bytes");
    struct stat st {};
    if (lstat(path.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode))
        return Error(ErrorCode::kInvalidArgument,
                     what + ": " + path + " exists and is not a socket");
      unlink(path.c_str());  // a stale socket from an earlier run
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return Error::FromErrno(what + ": socket");
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size());
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 1) != 0) {
      Error e = Error::FromErrno(what + ": listening on " + path);
      close(fd);
      return e;
    }
    return std::unique_ptr<ConsoleOutput>(new SocketConsole(fd, path));
  }

  ~SocketConsole() override {
    if (loop_ != nullptr) {
      loop_->Remove(listen_watch_);
      if (client_watch_ != 0) loop_->Remove(client_watch_);
    }
    std::lock_guard lock(mu_);
    if (client_ >= 0) close(client_);
    close(listen_);
    unlink(path_.c_str());
  }

  void Write(std::span<const uint8_t> bytes) override {
    written_ += bytes.size();
    std::lock_guard lock(mu_);
    // Nobody listening, or the client is gone (the loop drops it when it sees
    // the hang-up): the bytes are dropped.
    if (client_ < 0 || client_failed_) {
      dropped_ += bytes.size();
      return;
    }
    ssize_t n = send(client_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    // What the socket buffer does not take is dropped (not queued: see
    // console_output.h).
    dropped_ += bytes.size() - static_cast<size_t>(std::max<ssize_t>(n, 0));
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      // Once per client: a guest writing on would otherwise log every write.
      client_failed_ = true;
      PETREL_LOG(kInfo) << "console socket: client gone: " << std::strerror(errno);
    }
  }
  uint64_t bytes_written() const override { return written_; }
  uint64_t bytes_dropped() const override { return dropped_; }

  Result<void> AttachInput(EventLoop& loop, InputSink sink) override {
    loop_ = &loop;
    sink_ = std::move(sink);
    PETREL_ASSIGN_OR_RETURN(listen_watch_, loop.WatchFd(listen_, [this] { Accept(); }));
    return Ok();
  }

 private:
  SocketConsole(int fd, std::string path) : listen_(fd), path_(std::move(path)) {}

  // Runs on the loop thread.
  void Accept() {
    int c = accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (c < 0) return;
    DropClient();
    {
      std::lock_guard lock(mu_);
      client_ = c;
      client_failed_ = false;
    }
    auto watched = loop_->WatchFd(c, [this, c] {
      if (!ForwardInput(c, sink_)) DropClient();
    });
    client_watch_ = watched.ok() ? *watched : 0;
  }

  void DropClient() {
    if (client_watch_ != 0) loop_->Remove(client_watch_);
    client_watch_ = 0;
    std::lock_guard lock(mu_);
    if (client_ >= 0) close(client_);
    client_ = -1;
  }

  const int listen_;
  const std::string path_;
  EventLoop* loop_ = nullptr;
  InputSink sink_;
  WatchId listen_watch_ = 0;
  WatchId client_watch_ = 0;  // loop thread only
  std::mutex mu_;             // guards client_ against vCPU-thread writers
  int client_ = -1;
  bool client_failed_ = false;  // a send to client_ failed (it is gone)
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace

std::unique_ptr<ConsoleOutput> MakeNullOutput() { return std::make_unique<NullOutput>(); }

Result<std::unique_ptr<ConsoleOutput>> OpenConsoleOutput(const config::OutputConfig& mode,
                                                         const std::string& what,
                                                         EventLoop* loop) {
  using config::OutputMode;
  switch (mode.mode) {
    case OutputMode::kOff: return std::unique_ptr<ConsoleOutput>();
    case OutputMode::kNull: return std::unique_ptr<ConsoleOutput>(new NullOutput());
    case OutputMode::kTty:
      return std::unique_ptr<ConsoleOutput>(new TtyConsole(StdoutWriter(what, loop)));
    case OutputMode::kFile: {
      int fd = open(mode.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd < 0) return Error::FromErrno(what + ": cannot open " + mode.path);
      struct stat st {};
      if (fstat(fd, &st) != 0) {
        auto err = Error::FromErrno(what + ": " + mode.path);
        close(fd);
        return err;
      }
      if (S_ISREG(st.st_mode)) {
        return std::unique_ptr<ConsoleOutput>(new CappedFileOutput(
            fd, static_cast<uint64_t>(st.st_size), mode.file_max_bytes, mode.path));
      }
      // A FIFO or a device: it may have a reader that stalls. The descriptor
      // is ours alone, so it can be made non-blocking.
      (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
      return std::unique_ptr<ConsoleOutput>(
          new QueuedOutput(std::make_shared<QueuedWriter>(fd, S_ISSOCK(st.st_mode), what, loop)));
    }
    case OutputMode::kSocket: return SocketConsole::Listen(mode.path, what);
    case OutputMode::kPty: return PtyConsole::Open(what, loop);
  }
  return Error(ErrorCode::kInternal, what + ": unknown console mode");
}

}  // namespace petrel::vmm
