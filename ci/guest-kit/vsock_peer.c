// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
/* vsock_peer: both ends of the nested vsock tests, one static binary for the
 * L2 guest (/bin/vsock_peer in its initramfs) and the L1 host
 * (/kit/vsock_peer), built by ci/guest-kit/build.sh.
 *
 *   vsock_peer vsock-echo PORT
 *       guest: listen on AF_VSOCK PORT, echo each connection back (a child
 *       per connection), forever.
 *   vsock_peer unix-echo PATH
 *       host: the same on a UNIX socket (what a guest's connection to host
 *       port P reaches: <vsock socket>_P, Cloud Hypervisor's hybrid vsock).
 *   vsock_peer hybrid-client SOCKET PORT BYTES CONNS
 *       host -> guest: CONNS connections at once through the VMM's UNIX
 *       socket, each opened with "CONNECT PORT\n" and answered "OK <n>\n".
 *   vsock_peer vsock-client CID PORT BYTES CONNS
 *       guest -> host: CONNS AF_VSOCK connections at once to CID:PORT.
 *
 * A client sends BYTES of a pattern unique to each connection (xorshift
 * seeded by its index) and reads the echo back, comparing every byte, with
 * all connections in one poll() loop. It prints one line:
 *   PETREL-VSOCK-PASS conns=N bytes=B fnv=<sum of each connection's FNV-1a> ms=T MBps=R
 * or PETREL-VSOCK-FAIL <why>, and exits 0 / 1.
 *
 * One-way stream modes (perf/vsock_bench.sh), nothing echoed or compared:
 *   vsock_peer vsock-sink PORT
 *   vsock_peer unix-sink PATH
 *       listen on AF_VSOCK PORT / the UNIX socket PATH; accept connections
 *       forever (a child per connection), read and discard; when one reaches
 *       EOF print
 *         PETREL-VSOCK-STREAM role=sink bytes=B ms=T MBps=R
 *       with T from its first byte to EOF, then close it.
 *   vsock_peer hybrid-source SOCKET PORT BYTES
 *   vsock_peer vsock-source CID PORT BYTES
 *       connect (through the VMM's hybrid socket with "CONNECT PORT\n", or
 *       AF_VSOCK to CID:PORT), write BYTES in 64 KiB writes, shutdown(SHUT_WR)
 *       and wait (up to 30 s) for the peer to close; print
 *         PETREL-VSOCK-STREAM role=source bytes=B write_ms=W ms=T MBps=R drained=D
 *       with W from the first write to the last write's return, T to the
 *       peer's close (the whole stream delivered; D=1) or, if it did not
 *       close in time, to the shutdown (D=0), and R = B / T.
 * MBps is MiB/s (2^20 bytes per second), as in the PASS line. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#define CHUNK 65536

static void fail(const char *fmt, const char *what, long n) {
  printf("PETREL-VSOCK-FAIL ");
  printf(fmt, what, n);
  printf(" (errno %d: %s)\n", errno, strerror(errno));
  fflush(stdout);
  exit(1);
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The pattern of connection `index`: xorshift64, one byte per step. */
struct pattern {
  uint64_t state;
};
static void pattern_init(struct pattern *p, long index) {
  p->state = 0x9e3779b97f4a7c15ull * (uint64_t)(index + 1);
}
static uint8_t pattern_next(struct pattern *p) {
  p->state ^= p->state << 13;
  p->state ^= p->state >> 7;
  p->state ^= p->state << 17;
  return (uint8_t)p->state;
}

static void echo_forever(int listener) {
  signal(SIGCHLD, SIG_IGN);
  for (;;) {
    int c = accept(listener, NULL, NULL);
    if (c < 0) {
      if (errno == EINTR) continue;
      fail("%s accept %ld", "echo", 0);
    }
    if (fork() == 0) {
      static char buf[CHUNK];
      ssize_t n;
      while ((n = read(c, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < n;) {
          ssize_t w = write(c, buf + off, (size_t)(n - off));
          if (w <= 0) _exit(1);
          off += w;
        }
      }
      _exit(0);
    }
    close(c);
  }
}

static int vsock_listen(long port) {
  int s = socket(AF_VSOCK, SOCK_STREAM, 0);
  if (s < 0) fail("%s socket %ld", "vsock", port);
  struct sockaddr_vm a = {.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
                          .svm_port = (unsigned)port};
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) fail("%s bind %ld", "vsock", port);
  if (listen(s, 128) < 0) fail("%s listen %ld", "vsock", port);
  return s;
}

static int unix_listen(const char *path) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (s < 0 || strlen(path) >= sizeof a.sun_path) fail("%s socket %ld", path, 0);
  strcpy(a.sun_path, path);
  unlink(path);
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) fail("%s bind %ld", path, 0);
  if (listen(s, 128) < 0) fail("%s listen %ld", path, 0);
  return s;
}

/* A connection through the VMM's hybrid socket, after its "OK <n>" line. */
static int hybrid_connect(const char *path, long port) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (s < 0 || strlen(path) >= sizeof a.sun_path) fail("%s socket %ld", path, 0);
  strcpy(a.sun_path, path);
  if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) fail("%s connect %ld", path, 0);
  char line[64];
  int len = snprintf(line, sizeof line, "CONNECT %ld\n", port);
  if (write(s, line, (size_t)len) != len) fail("%s CONNECT %ld", path, port);
  size_t got = 0;
  for (;;) { /* byte by byte: echoed data follows the line */
    char ch;
    if (read(s, &ch, 1) != 1) fail("%s: no OK line for port %ld", path, port);
    if (ch == '\n') break;
    if (got + 1 < sizeof line) line[got++] = ch;
  }
  line[got] = 0;
  if (strncmp(line, "OK ", 3) != 0) fail("%s: answer to CONNECT %ld was not OK", path, port);
  return s;
}

static int vsock_connect(long cid, long port) {
  int s = socket(AF_VSOCK, SOCK_STREAM, 0);
  if (s < 0) fail("%s socket %ld", "vsock", port);
  struct sockaddr_vm a = {.svm_family = AF_VSOCK, .svm_cid = (unsigned)cid,
                          .svm_port = (unsigned)port};
  if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) fail("%s connect port %ld", "vsock", port);
  return s;
}

struct conn {
  int fd;
  long sent, received;
  struct pattern tx, rx;
  uint64_t fnv;  /* FNV-1a of what was sent */
};

/* Sends `bytes` on every connection and checks the echoes, all at once. */
static int run_clients(struct conn *c, long conns, long bytes) {
  static uint8_t buf[CHUNK];
  struct pollfd *p = calloc((size_t)conns, sizeof *p);
  if (!p) fail("%s calloc %ld", "clients", conns);
  const uint64_t start = now_ms();
  long done = 0;
  for (long i = 0; i < conns; ++i) {
    pattern_init(&c[i].tx, i);
    pattern_init(&c[i].rx, i);
    c[i].fnv = 0xcbf29ce484222325ull;
    fcntl(c[i].fd, F_SETFL, fcntl(c[i].fd, F_GETFL) | O_NONBLOCK);
  }
  while (done < conns) {
    for (long i = 0; i < conns; ++i) {
      p[i].fd = c[i].received < bytes ? c[i].fd : -1;
      p[i].events = POLLIN | (c[i].sent < bytes ? POLLOUT : 0);
      p[i].revents = 0;
    }
    if (poll(p, (nfds_t)conns, 30000) <= 0) fail("%s: nothing moved for 30 s (%ld done)", "poll", done);
    for (long i = 0; i < conns; ++i) {
      if (p[i].revents & POLLOUT) {
        long n = bytes - c[i].sent < CHUNK ? bytes - c[i].sent : CHUNK;
        struct pattern save = c[i].tx;
        for (long k = 0; k < n; ++k) buf[k] = pattern_next(&c[i].tx);
        ssize_t w = write(c[i].fd, buf, (size_t)n);
        if (w < 0 && errno != EAGAIN) fail("%s write on connection %ld", "client", i);
        /* Rewind the pattern to what was really written. */
        c[i].tx = save;
        for (long k = 0; k < (w > 0 ? w : 0); ++k) c[i].fnv = (c[i].fnv ^ pattern_next(&c[i].tx)) * 0x100000001b3ull;
        if (w > 0) c[i].sent += w;
      }
      if (p[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t r = read(c[i].fd, buf, sizeof buf);
        if (r < 0 && errno == EAGAIN) continue;
        if (r <= 0) fail("%s: connection %ld closed early", "client", i);
        for (ssize_t k = 0; k < r; ++k) {
          if (buf[k] != pattern_next(&c[i].rx)) fail("%s: wrong byte on connection %ld", "echo", i);
        }
        c[i].received += r;
        if (c[i].received > bytes) fail("%s: more bytes than sent on connection %ld", "echo", i);
        if (c[i].received == bytes) {
          ++done;
          close(c[i].fd);
        }
      }
    }
  }
  const uint64_t ms = now_ms() - start;
  uint64_t fnv = 0;  /* the connections' hashes summed: independent of interleaving */
  for (long i = 0; i < conns; ++i) fnv += c[i].fnv;
  const double mbps = ms ? (double)bytes * (double)conns / 1048576.0 / ((double)ms / 1000.0) : 0;
  printf("PETREL-VSOCK-PASS conns=%ld bytes=%ld fnv=%016llx ms=%llu MBps=%.1f\n", conns, bytes,
         (unsigned long long)fnv, (unsigned long long)ms, mbps);
  fflush(stdout);
  return 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sink_line(long long bytes, double secs) {
  const double mbps = secs > 0 ? (double)bytes / 1048576.0 / secs : 0;
  printf("PETREL-VSOCK-STREAM role=sink bytes=%lld ms=%.1f MBps=%.2f\n", bytes, secs * 1000.0, mbps);
  fflush(stdout);
}

/* Read and discard every connection until EOF; one line per connection. */
static void sink_forever(int listener) {
  signal(SIGCHLD, SIG_IGN);
  for (;;) {
    int c = accept(listener, NULL, NULL);
    if (c < 0) {
      if (errno == EINTR) continue;
      fail("%s accept %ld", "sink", 0);
    }
    if (fork() == 0) {
      static char buf[4 * CHUNK];
      long long total = 0;
      double first = 0;
      ssize_t n;
      for (;;) {
        n = read(c, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (total == 0) first = now_s();
        total += n;
      }
      const double end = now_s();
      if (n < 0) {
        printf("PETREL-VSOCK-FAIL sink: read error after %lld bytes (errno %d: %s)\n", total, errno,
               strerror(errno));
        fflush(stdout);
      } else {
        sink_line(total, total ? end - first : 0);
      }
      close(c);
      _exit(n < 0);
    }
    close(c);
  }
}

/* Write `bytes` on s in CHUNK writes, shut down the write side and wait for
 * the peer to close. */
static int source(int s, long bytes) {
  static uint8_t buf[CHUNK];
  struct pattern p;
  pattern_init(&p, 0);
  for (size_t k = 0; k < sizeof buf; ++k) buf[k] = pattern_next(&p);
  const double start = now_s();
  long sent = 0;
  while (sent < bytes) {
    size_t n = bytes - sent < CHUNK ? (size_t)(bytes - sent) : CHUNK;
    ssize_t w = write(s, buf, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fail("%s: write failed after %ld bytes", "source", sent);
    sent += w;
  }
  const double wrote = now_s();
  if (shutdown(s, SHUT_WR) < 0) fail("%s: shutdown after %ld bytes", "source", sent);
  int drained = 0;
  for (;;) { /* the peer closes once it has read everything */
    struct pollfd pfd = {.fd = s, .events = POLLIN};
    const int left = 30000 - (int)((now_s() - wrote) * 1000.0);
    if (left <= 0 || poll(&pfd, 1, left) <= 0) break;
    char b[256];
    ssize_t r = read(s, b, sizeof b);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      drained = 1;
      break;
    }
  }
  const double end = drained ? now_s() : wrote;
  const double mbps = end > start ? (double)bytes / 1048576.0 / (end - start) : 0;
  printf("PETREL-VSOCK-STREAM role=source bytes=%ld write_ms=%.1f ms=%.1f MBps=%.2f drained=%d\n", bytes,
         (wrote - start) * 1000.0, (end - start) * 1000.0, mbps, drained);
  fflush(stdout);
  close(s);
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 3 && strcmp(argv[1], "vsock-echo") == 0) echo_forever(vsock_listen(atol(argv[2])));
  if (argc == 3 && strcmp(argv[1], "unix-echo") == 0) echo_forever(unix_listen(argv[2]));
  if (argc == 6 && (strcmp(argv[1], "hybrid-client") == 0 || strcmp(argv[1], "vsock-client") == 0)) {
    const long port = atol(argv[3]), bytes = atol(argv[4]), conns = atol(argv[5]);
    if (port <= 0 || bytes <= 0 || conns <= 0 || conns > 4096) fail("%s: bad arguments %ld", argv[1], 0);
    struct conn *c = calloc((size_t)conns, sizeof *c);
    if (!c) fail("%s calloc %ld", "clients", conns);
    for (long i = 0; i < conns; ++i) {
      c[i].fd = argv[1][0] == 'h' ? hybrid_connect(argv[2], port) : vsock_connect(atol(argv[2]), port);
    }
    return run_clients(c, conns, bytes);
  }
  if (argc == 3 && strcmp(argv[1], "vsock-sink") == 0) sink_forever(vsock_listen(atol(argv[2])));
  if (argc == 3 && strcmp(argv[1], "unix-sink") == 0) sink_forever(unix_listen(argv[2]));
  if (argc == 5 && (strcmp(argv[1], "hybrid-source") == 0 || strcmp(argv[1], "vsock-source") == 0)) {
    const long port = atol(argv[3]), bytes = atol(argv[4]);
    if (port <= 0 || bytes <= 0) fail("%s: bad arguments %ld", argv[1], 0);
    return source(argv[1][0] == 'h' ? hybrid_connect(argv[2], port) : vsock_connect(atol(argv[2]), port),
                  bytes);
  }
  fprintf(stderr,
          "usage: vsock_peer vsock-echo PORT | unix-echo PATH |\n"
          "       hybrid-client SOCKET PORT BYTES CONNS | vsock-client CID PORT BYTES CONNS |\n"
          "       vsock-sink PORT | unix-sink PATH |\n"
          "       hybrid-source SOCKET PORT BYTES | vsock-source CID PORT BYTES\n");
  return 2;
}
