// ConsoleOutput sinks (see console_output.h).
#include "vmm/console_output.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace petrel::vmm {
namespace {

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

class FdOutput final : public ConsoleOutput {
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

class NullOutput final : public ConsoleOutput {
 public:
  void Write(std::span<const uint8_t> bytes) override { written_ += bytes.size(); }
  uint64_t bytes_written() const override { return written_; }

 private:
  std::atomic<uint64_t> written_{0};
};

}  // namespace

Result<std::unique_ptr<ConsoleOutput>> OpenConsoleOutput(const config::OutputConfig& mode,
                                                         const std::string& what) {
  using config::OutputMode;
  switch (mode.mode) {
    case OutputMode::kOff:
      return std::unique_ptr<ConsoleOutput>();
    case OutputMode::kNull:
      return std::unique_ptr<ConsoleOutput>(new NullOutput());
    case OutputMode::kTty:
      return std::unique_ptr<ConsoleOutput>(new FdOutput(STDOUT_FILENO, false));
    case OutputMode::kFile: {
      int fd = open(mode.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd < 0) return Error::FromErrno(what + ": cannot open " + mode.path);
      return std::unique_ptr<ConsoleOutput>(new FdOutput(fd, true));
    }
    case OutputMode::kPty:
    case OutputMode::kSocket:
      break;
  }
  return Error(ErrorCode::kUnsupported,
               what + ": pty and socket modes are not implemented yet; use off, null, tty or file=");
}

}  // namespace petrel::vmm
