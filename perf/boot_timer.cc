// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// boot_timer: runs a VMM command and timestamps its boot milestones.
//
//   boot_timer [--marker NAME=TEXT]... [--rss-at NAME] [--guest-ram-mib N]
//              [--smaps-out FILE] [--timeout-s S] [--exit-grace-s S]
//              -- COMMAND ARGS...
//
// Times are milliseconds from just before exec. Milestones:
//   first_output  the first byte the VMM writes to stdout (guest console)
//   NAME          the first time TEXT appears on stdout or stderr
//   exit          the process exit
// With --rss-at NAME, the VMM's resident memory is sampled when NAME is seen,
// from /proc/PID/smaps: all of it, and excluding guest RAM (mappings whose
// size is within [guest RAM, guest RAM + 4 MiB]: the guest RAM mapping,
// padded for huge-page alignment); -1 if the process was already gone.
// The latter is also split out: its Anonymous (private) pages, and its Pss
// (shared file pages divided among their sharers). --smaps-out FILE keeps a
// copy of the smaps read, for a breakdown.
// Always reports peak_rss_kib, the kernel's high-water mark of the whole
// process (wait4 ru_maxrss, guest RAM the guest touched included): for a
// guest that exits before a sample can be taken, the safest RSS figure.
// --timeout-s S (default 120) kills the process S s after exec: timed_out=1.
// --exit-grace-s S kills it S s after the last marker was seen, for a VMM
// that cannot exit on its own: exit_ms=-1 and killed_after_markers=1.
// Prints one line of key=value pairs; a milestone never seen prints -1.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

double NowMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct Rss {
  long total_kib = -1;
  long excluding_guest_kib = -1;
  long anon_excluding_guest_kib = -1;  // smaps "Anonymous": private memory
  long pss_excluding_guest_kib = -1;   // shared file pages divided by sharers
};

// smaps_out, if not empty, receives a verbatim copy of what was read.
Rss SampleRss(pid_t pid, unsigned long guest_ram_mib, const std::string& smaps_out) {
  Rss rss;
  std::ifstream smaps("/proc/" + std::to_string(pid) + "/smaps");
  if (!smaps) return rss;
  std::ofstream copy;
  if (!smaps_out.empty()) copy.open(smaps_out);
  const unsigned long long guest = static_cast<unsigned long long>(guest_ram_mib) << 20;
  std::string line;
  unsigned long long size = 0;
  bool any_mapping = false;
  bool is_guest = false;
  rss.total_kib = 0;
  rss.excluding_guest_kib = 0;
  rss.anon_excluding_guest_kib = 0;
  rss.pss_excluding_guest_kib = 0;
  while (std::getline(smaps, line)) {
    if (copy) copy << line << '\n';
    unsigned long long lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%llx-%llx ", &lo, &hi) == 2 && line.find(':') > line.find('-')) {
      size = hi - lo;
      is_guest = guest != 0 && size >= guest && size <= guest + (4ULL << 20);
      any_mapping = true;
      continue;
    }
    long kib = 0;
    if (std::sscanf(line.c_str(), "Rss: %ld kB", &kib) == 1) {
      rss.total_kib += kib;
      if (!is_guest) rss.excluding_guest_kib += kib;
    } else if (std::sscanf(line.c_str(), "Anonymous: %ld kB", &kib) == 1) {
      if (!is_guest) rss.anon_excluding_guest_kib += kib;
    } else if (std::sscanf(line.c_str(), "Pss: %ld kB", &kib) == 1) {
      if (!is_guest) rss.pss_excluding_guest_kib += kib;
    }
  }
  if (!any_mapping) return Rss{};  // the process exited (its mm is gone)
  return rss;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::pair<std::string, std::string>> markers;
  std::string rss_at, smaps_out;
  unsigned long guest_ram_mib = 0;
  double timeout_s = 120;
  double exit_grace_s = -1;
  int i = 1;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "boot_timer: %s needs a value\n", a.c_str());
      return 2;
    }
    std::string v = argv[++i];
    if (a == "--marker") {
      auto eq = v.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "boot_timer: --marker wants NAME=TEXT\n");
        return 2;
      }
      markers.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    } else if (a == "--rss-at") {
      rss_at = v;
    } else if (a == "--guest-ram-mib") {
      guest_ram_mib = std::strtoul(v.c_str(), nullptr, 10);
    } else if (a == "--smaps-out") {
      smaps_out = v;
    } else if (a == "--timeout-s") {
      timeout_s = std::strtod(v.c_str(), nullptr);
    } else if (a == "--exit-grace-s") {
      exit_grace_s = std::strtod(v.c_str(), nullptr);
    } else {
      std::fprintf(stderr, "boot_timer: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (i >= argc) {
    std::fprintf(stderr, "boot_timer: no command\n");
    return 2;
  }

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) return 2;
  const double t0 = NowMs();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    execvp(argv[i], argv + i);
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);

  std::map<std::string, double> seen;
  std::string out_text, err_text;
  double first_output = -1;
  Rss rss;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  bool timed_out = false;
  bool killed_after_markers = false;
  double all_markers_ms = -1;  // when the last marker was first seen
  while (open_fds > 0) {
    double left = timeout_s * 1e3 - (NowMs() - t0);
    if (exit_grace_s >= 0 && all_markers_ms >= 0) {
      double grace_left = all_markers_ms + exit_grace_s * 1e3 - (NowMs() - t0);
      if (grace_left <= 0) {
        killed_after_markers = true;
        kill(pid, SIGKILL);
        break;
      }
      if (grace_left < left) left = grace_left;
    }
    if (left <= 0) {
      timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    if (poll(fds, 2, static_cast<int>(left)) <= 0) continue;
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP))) continue;
      char buf[4096];
      ssize_t n = read(fds[k].fd, buf, sizeof buf);
      double now = NowMs() - t0;
      if (n <= 0) {
        close(fds[k].fd);
        fds[k].fd = -1;
        --open_fds;
        continue;
      }
      std::string& text = k == 0 ? out_text : err_text;
      if (k == 0 && first_output < 0) first_output = now;
      text.append(buf, static_cast<size_t>(n));
      if (k == 0) std::fwrite(buf, 1, static_cast<size_t>(n), stderr);  // keep the console visible
      for (const auto& [name, needle] : markers) {
        if (seen.count(name) == 0 && text.find(needle) != std::string::npos) {
          seen[name] = now;
          if (name == rss_at) rss = SampleRss(pid, guest_ram_mib, smaps_out);
          if (seen.size() == markers.size()) all_markers_ms = NowMs() - t0;
        }
      }
    }
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  const double exit_ms = killed_after_markers ? -1 : NowMs() - t0;
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

  std::ostringstream line;
  line << "first_output_ms=" << first_output;
  for (const auto& [name, needle] : markers)
    line << " " << name << "_ms=" << (seen.count(name) ? seen[name] : -1);
  line << " exit_ms=" << exit_ms << " exit_code=" << code << " timed_out=" << timed_out
       << " killed_after_markers=" << killed_after_markers;
  if (!rss_at.empty())
    line << " rss_kib=" << rss.total_kib << " rss_excl_guest_kib=" << rss.excluding_guest_kib
         << " anon_excl_guest_kib=" << rss.anon_excluding_guest_kib
         << " pss_excl_guest_kib=" << rss.pss_excluding_guest_kib;
  line << " peak_rss_kib=" << usage.ru_maxrss;  // Linux: kilobytes
  std::printf("BOOT-TIMER %s\n", line.str().c_str());
  return timed_out ? 1 : 0;
}
