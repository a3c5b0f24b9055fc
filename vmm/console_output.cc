// Console backends (see console_output.h).
#include "vmm/console_output.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "core/base/log.h"

namespace petrel::vmm {
namespace {

// Console input is read in chunks of this size; the UART FIFO takes what fits.
constexpr size_t kInputChunk = 64;

// Writes everything, retrying on EINTR and short writes. Output errors (a
// closed terminal, a full disk) drop the bytes: the guest must not stall.
void WriteAll(int fd, std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
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

class FdOutput : public ConsoleOutput {
 public:
  FdOutput(int fd, bool owned) : fd_(fd), owned_(owned) {}
  ~FdOutput() override {
    if (owned_) close(fd_);
  }
  void Write(std::span<const uint8_t> bytes) override {
    WriteAll(fd_, bytes);
    written_ += bytes.size();
  }
  uint64_t bytes_written() const override { return written_; }

 private:
  int fd_;
  bool owned_;
  std::atomic<uint64_t> written_{0};
};

// stdout for output, stdin for input.
class TtyConsole final : public FdOutput {
 public:
  TtyConsole() : FdOutput(STDOUT_FILENO, false) {}
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

// A pseudo-terminal: the guest's output goes to the master side and input is
// read from it; the user attaches to the slave (its path is printed on
// stderr, as Cloud Hypervisor logs it). Petrel keeps one slave fd open itself,
// in raw mode, so the master never reports a hang-up when no user is attached
// (input simply waits) and output beyond the pty's buffer is dropped rather
// than blocking the guest (the master is non-blocking).
class PtyConsole final : public ConsoleOutput {
 public:
  static Result<std::unique_ptr<ConsoleOutput>> Open(const std::string& what) {
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
    termios raw{};
    if (tcgetattr(slave, &raw) == 0) {
      cfmakeraw(&raw);
      (void)tcsetattr(slave, TCSANOW, &raw);
    }
    std::fprintf(stderr, "petrel: %s pty: %s\n", what.c_str(), name);
    PETREL_LOG(kInfo) << what << ": pty " << name;
    return std::unique_ptr<ConsoleOutput>(new PtyConsole(master, slave, name));
  }
  ~PtyConsole() override {
    close(slave_);
    close(master_);
  }
  void Write(std::span<const uint8_t> bytes) override {
    WriteAll(master_, bytes);
    written_ += bytes.size();
  }
  uint64_t bytes_written() const override { return written_; }
  Result<void> AttachInput(EventLoop& loop, InputSink sink) override {
    const int fd = master_;
    PETREL_ASSIGN_OR_RETURN(WatchId id,
                            loop.WatchFd(fd, [fd, sink = std::move(sink)] { ForwardInput(fd, sink); }));
    (void)id;
    return Ok();
  }
  const std::string& path() const { return path_; }

 private:
  PtyConsole(int master, int slave, std::string path)
      : master_(master), slave_(slave), path_(std::move(path)) {}
  int master_;
  int slave_;
  std::string path_;
  std::atomic<uint64_t> written_{0};
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
    if (client_ < 0) return;  // nobody listening: the bytes are dropped
    if (client_failed_) return;  // gone: the loop drops it when it sees the hang-up
    ssize_t n = send(client_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      // Once per client: a guest writing on would otherwise log every write.
      client_failed_ = true;
      PETREL_LOG(kInfo) << "console socket: client gone: " << std::strerror(errno);
    }
  }
  uint64_t bytes_written() const override { return written_; }

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
};

}  // namespace

Result<std::unique_ptr<ConsoleOutput>> OpenConsoleOutput(const config::OutputConfig& mode,
                                                         const std::string& what) {
  using config::OutputMode;
  switch (mode.mode) {
    case OutputMode::kOff: return std::unique_ptr<ConsoleOutput>();
    case OutputMode::kNull: return std::unique_ptr<ConsoleOutput>(new NullOutput());
    case OutputMode::kTty: return std::unique_ptr<ConsoleOutput>(new TtyConsole());
    case OutputMode::kFile: {
      int fd = open(mode.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd < 0) return Error::FromErrno(what + ": cannot open " + mode.path);
      return std::unique_ptr<ConsoleOutput>(new FdOutput(fd, true));
    }
    case OutputMode::kSocket: return SocketConsole::Listen(mode.path, what);
    case OutputMode::kPty: return PtyConsole::Open(what);
  }
  return Error(ErrorCode::kInternal, what + ": unknown console mode");
}

}  // namespace petrel::vmm
