// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for EventMonitor: CH's exact bytes, both ways of opening it, and that
// a slow, full or vanished reader costs dropped events, never a blocked or
// killed VMM.
#include "vmm/event_monitor.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

namespace petrel::vmm {
namespace {

constexpr uint64_t kSecond = 1'000'000'000;

// What CH writes for event!("vmm", "starting") 1.5 s after set_monitor().
constexpr char kStartingAt1500ms[] =
    "{\n"
    "  \"timestamp\": {\n"
    "    \"secs\": 1,\n"
    "    \"nanos\": 500000000\n"
    "  },\n"
    "  \"source\": \"vmm\",\n"
    "  \"event\": \"starting\",\n"
    "  \"properties\": null\n"
    "}\n"
    "\n";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Reads whatever the (non-blocking) read end holds now.
std::string Drain(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Splits the monitor's output into events (each ends with "\n\n").
std::vector<std::string> SplitEvents(const std::string& text) {
  std::vector<std::string> events;
  size_t start = 0;
  for (size_t end; (end = text.find("}\n\n", start)) != std::string::npos; start = end + 3) {
    events.push_back(text.substr(start, end + 1 - start));
  }
  EXPECT_EQ(start, text.size()) << "trailing partial event";
  return events;
}

class EventMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/petrel-event-monitor-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<EventMonitor> OpenPath(const std::string& path) {
    auto monitor = EventMonitor::Open(config::EventMonitorConfig{path, -1}, clock_);
    EXPECT_TRUE(monitor.ok()) << monitor.error().message();
    return monitor.ok() ? std::move(*monitor) : nullptr;
  }

  // A pipe whose read end is non-blocking; the monitor gets the write end.
  std::unique_ptr<EventMonitor> OpenPipe(int* read_end) {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
    EXPECT_EQ(fcntl(fds[1], F_SETFL, 0), 0);  // the monitor must make it non-blocking
    *read_end = fds[0];
    auto monitor = EventMonitor::Open(config::EventMonitorConfig{"", fds[1]}, clock_);
    EXPECT_TRUE(monitor.ok()) << monitor.error().message();
    return monitor.ok() ? std::move(*monitor) : nullptr;
  }

  std::string dir_;
  VirtualClock clock_{10 * kSecond};
};

TEST_F(EventMonitorTest, EventWithoutPropertiesIsChsBytes) {
  const std::string path = dir_ + "/events";
  { std::ofstream(path) << "old content that must go away, longer than one event........."; }
  auto monitor = OpenPath(path);
  ASSERT_NE(monitor, nullptr);
  clock_.Advance(kSecond + kSecond / 2);  // the timestamp counts from Open()
  monitor->Emit("vmm", "starting");
  EXPECT_EQ(ReadAll(path), kStartingAt1500ms);
  EXPECT_EQ(monitor->dropped(), 0u);
}

TEST_F(EventMonitorTest, EventWithPropertiesKeepsTheirOrder) {
  EXPECT_EQ(EventMonitor::FormatEvent(2 * kSecond + 7, "virtio-device", "activated",
                                      {{"id", "_disk0"}, {"bdf", "0000:00:04.0"}}),
            "{\n"
            "  \"timestamp\": {\n"
            "    \"secs\": 2,\n"
            "    \"nanos\": 7\n"
            "  },\n"
            "  \"source\": \"virtio-device\",\n"
            "  \"event\": \"activated\",\n"
            "  \"properties\": {\n"
            "    \"id\": \"_disk0\",\n"
            "    \"bdf\": \"0000:00:04.0\"\n"
            "  }\n"
            "}\n"
            "\n");
  // A key given twice: the last value wins, as with CH's HashMap insert.
  EXPECT_NE(EventMonitor::FormatEvent(0, "vm", "x", {{"k", "1"}, {"k", "2"}})
                .find("\"properties\": {\n    \"k\": \"2\"\n  }"),
            std::string::npos);
}

TEST_F(EventMonitorTest, EscapesAsSerdeJsonAndReplacesInvalidUtf8) {
  const std::string text =
      EventMonitor::FormatEvent(0, "vm", "booted", {{"path", "/a\"b\\c\n\t\x01\xff/\xc3\xa9"}});
  // serde_json: short escapes, \u00XX lowercase for other controls, '/' and
  // non-ASCII as they are. Bytes that are not UTF-8 become U+FFFD.
  EXPECT_NE(text.find(R"("path": "/a\"b\\c\n\t\u0001)"
                      "\xEF\xBF\xBD/\xC3\xA9\""),
            std::string::npos)
      << text;
  EXPECT_TRUE(nlohmann::json::accept(text));
}

TEST_F(EventMonitorTest, PathIsCreatedWithChsMode) {
  const std::string path = dir_ + "/new-events";
  const mode_t old_umask = umask(022);
  auto monitor = OpenPath(path);
  umask(old_umask);
  ASSERT_NE(monitor, nullptr);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);  // 0666 less the umask, as Rust's OpenOptions
}

TEST_F(EventMonitorTest, PathThatCannotBeCreatedIsAClearError) {
  const std::string path = dir_ + "/no-such-dir/events";
  auto monitor = EventMonitor::Open(config::EventMonitorConfig{path, -1}, clock_);
  ASSERT_FALSE(monitor.ok());
  EXPECT_EQ(monitor.error().message(),
            "--event-monitor: cannot create '" + path + "': No such file or directory");
}

TEST_F(EventMonitorTest, FdThatIsNotOpenIsAClearError) {
  const int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(close(fd), 0);  // now a number no descriptor has
  auto monitor = EventMonitor::Open(config::EventMonitorConfig{"", fd}, clock_);
  ASSERT_FALSE(monitor.ok());
  EXPECT_EQ(monitor.error().message(),
            "--event-monitor: fd=" + std::to_string(fd) + " is not an open file descriptor");
}

TEST_F(EventMonitorTest, FdModeWritesIntoAPipeAndClosesItAtTheEnd) {
  int read_end = -1;
  auto monitor = OpenPipe(&read_end);
  ASSERT_NE(monitor, nullptr);
  clock_.Advance(kSecond + kSecond / 2);
  monitor->Emit("vmm", "starting");
  EXPECT_EQ(Drain(read_end), kStartingAt1500ms);
  monitor.reset();  // the monitor owned the write end: the reader sees EOF
  char c;
  EXPECT_EQ(read(read_end, &c, 1), 0);
  close(read_end);
}

TEST_F(EventMonitorTest, FdIsMadeNonBlocking) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  auto monitor = EventMonitor::Open(config::EventMonitorConfig{"", fds[1]}, clock_);
  ASSERT_TRUE(monitor.ok()) << monitor.error().message();
  EXPECT_NE(fcntl(fds[1], F_GETFL) & O_NONBLOCK, 0);
  close(fds[0]);
}

TEST_F(EventMonitorTest, FullPipeDropsAndCountsInsteadOfBlocking) {
  int read_end = -1;
  auto monitor = OpenPipe(&read_end);
  ASSERT_NE(monitor, nullptr);
  // Nobody reads while 2000 events go in: once the pipe is full, every
  // event after that is dropped.
  auto emits = std::async(std::launch::async, [&] {
    for (int i = 0; i < 2000; ++i) monitor->Emit("vm", "booting", {{"n", std::to_string(i)}});
  });
  if (emits.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    ADD_FAILURE() << "Emit blocked on a full pipe";
    while (emits.wait_for(std::chrono::milliseconds(10)) != std::future_status::ready) {
      Drain(read_end);  // unblock it, so the test ends
    }
    close(read_end);
    return;
  }
  const uint64_t dropped = monitor->dropped();
  EXPECT_GT(dropped, 0u);  // 2000 events of ~150 bytes do not fit in 64 KiB
  const std::vector<std::string> written = SplitEvents(Drain(read_end));
  EXPECT_EQ(written.size() + dropped, 2000u);
  // What got through is whole and in order, starting with the first.
  for (size_t i = 0; i < written.size(); ++i) {
    auto json = nlohmann::json::parse(written[i]);
    EXPECT_EQ(json["properties"]["n"], std::to_string(i));
  }
  // Once the reader has caught up, events flow again.
  monitor->Emit("vm", "booted");
  const std::vector<std::string> after = SplitEvents(Drain(read_end));
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(after[0])["event"], "booted");
  EXPECT_EQ(monitor->dropped(), dropped);
  close(read_end);
}

TEST_F(EventMonitorTest, PartlyWrittenEventIsFinishedBeforeTheNext) {
  int read_end = -1;
  auto monitor = OpenPipe(&read_end);
  ASSERT_NE(monitor, nullptr);
  // Larger than the pipe (64 KiB by default): only part of it fits.
  const std::string big(100 * 1024, 'x');
  monitor->Emit("vm", "big", {{"value", big}});
  EXPECT_EQ(monitor->dropped(), 0u);
  monitor->Emit("vm", "while-full");  // the rest of "big" still does not fit: dropped
  EXPECT_EQ(monitor->dropped(), 1u);
  std::string got = Drain(read_end);
  monitor->Emit("vm", "after");  // flushes the rest of "big", then writes "after"
  got += Drain(read_end);
  const std::vector<std::string> events = SplitEvents(got);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(events[0])["properties"]["value"], big);
  EXPECT_EQ(nlohmann::json::parse(events[1])["event"], "after");
  EXPECT_EQ(monitor->dropped(), 1u);
  close(read_end);
}

TEST_F(EventMonitorTest, ReaderGoneIsCountedAndRaisesNoSigpipe) {
  // The default action of SIGPIPE ends the process; the monitor must not raise it.
  struct sigaction old_action {};
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  ASSERT_EQ(sigaction(SIGPIPE, &default_action, &old_action), 0);
  int read_end = -1;
  auto monitor = OpenPipe(&read_end);
  ASSERT_NE(monitor, nullptr);
  close(read_end);
  monitor->Emit("vmm", "starting");
  monitor->Emit("vmm", "shutdown");
  EXPECT_EQ(monitor->dropped(), 2u);
  sigset_t pending;
  ASSERT_EQ(sigpending(&pending), 0);
  EXPECT_FALSE(sigismember(&pending, SIGPIPE));
  sigaction(SIGPIPE, &old_action, nullptr);
}

TEST_F(EventMonitorTest, ConcurrentEmitsStayWhole) {
  const std::string path = dir_ + "/events";
  auto monitor = OpenPath(path);
  ASSERT_NE(monitor, nullptr);
  constexpr int kThreads = 4;
  constexpr int kEach = 300;
  // Long values so that a torn or interleaved write would show.
  const std::string filler(500, 'f');
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        clock_.Advance(1000);
        monitor->Emit("vm", "thread-" + std::to_string(t),
                      {{"n", std::to_string(i)}, {"filler", filler}});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(monitor->dropped(), 0u);
  const std::vector<std::string> events = SplitEvents(ReadAll(path));
  ASSERT_EQ(events.size(), static_cast<size_t>(kThreads * kEach));
  std::map<std::string, int> next;  // per thread: the n expected next
  uint64_t last_ns = 0;
  for (const std::string& text : events) {
    auto json = nlohmann::json::parse(text);  // throws (test fails) if torn
    const std::string thread = json["event"];
    EXPECT_EQ(json["properties"]["n"], std::to_string(next[thread]++));
    EXPECT_EQ(json["properties"]["filler"], filler);
    const uint64_t ns = json["timestamp"]["secs"].get<uint64_t>() * kSecond +
                        json["timestamp"]["nanos"].get<uint64_t>();
    EXPECT_GE(ns, last_ns);  // file order is time order
    last_ns = ns;
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next["thread-" + std::to_string(t)], kEach);
}

}  // namespace
}  // namespace petrel::vmm
