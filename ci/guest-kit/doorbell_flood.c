// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
/* doorbell_flood: rings one virtio-pci queue's doorbell in an endless loop.
 *   doorbell_flood /sys/bus/pci/devices/0000:00:0N.0 QUEUE
 * Built static by ci/guest-kit/build.sh into the L2 initramfs (/bin); the
 * nested test linux-doorbell-flood runs it to keep a device's worker busy
 * while the host shuts the VM down. The driver stays bound, so the kernel
 * must allow mapping a claimed BAR (boot with iomem=relaxed).
 * Virtio 1.2 §4.1.4: vendor capabilities (id 0x09) in PCI config space;
 * cfg_type 1 = common cfg, 2 = notify cfg (followed by notify_off_multiplier).
 * Prints PETREL-FLOOD-RUNNING once the doorbell has been rung, then a
 * progress line every 4096 writes; exits non-zero only on a setup error. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char* dev;

static void die(const char* what) {
  fprintf(stderr, "doorbell_flood: %s: %s\n", dev, what);
  exit(1);
}

static uint8_t cfg[256];  /* the device's PCI config space (the caps live here) */

static uint32_t le32(int off) {
  return cfg[off] | cfg[off + 1] << 8 | cfg[off + 2] << 16 | (uint32_t)cfg[off + 3] << 24;
}

/* mmaps BAR `bar` of the device (sysfs resource<bar>). */
static volatile uint8_t* map_bar(int bar) {
  char path[512];
  struct stat st;
  snprintf(path, sizeof path, "%s/resource%d", dev, bar);
  int fd = open(path, O_RDWR | O_SYNC);
  if (fd < 0 || fstat(fd, &st) != 0) die("cannot open the BAR's resource file");
  void* p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) die("cannot mmap the BAR (boot with iomem=relaxed?)");
  return p;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: doorbell_flood /sys/bus/pci/devices/DEV QUEUE\n");
    return 2;
  }
  dev = argv[1];
  uint16_t queue = (uint16_t)atoi(argv[2]);

  char path[512];
  snprintf(path, sizeof path, "%s/config", dev);
  int fd = open(path, O_RDONLY);
  if (fd < 0 || read(fd, cfg, sizeof cfg) != (ssize_t)sizeof cfg) die("cannot read config space");
  close(fd);
  if (!(cfg[0x06] & 0x10)) die("no capability list");  /* status: capabilities list */

  int common_bar = -1, notify_bar = -1;
  uint32_t common_off = 0, notify_off = 0, multiplier = 0;
  for (int cap = cfg[0x34] & 0xfc, hops = 0; cap != 0 && hops < 48; cap = cfg[cap + 1] & 0xfc, hops++) {
    if (cfg[cap] != 0x09) continue;  /* vendor-specific: struct virtio_pci_cap */
    uint8_t type = cfg[cap + 3], bar = cfg[cap + 4];
    if (type == 1 && common_bar < 0) {
      common_bar = bar;
      common_off = le32(cap + 8);
    } else if (type == 2 && notify_bar < 0) {
      notify_bar = bar;
      notify_off = le32(cap + 8);
      multiplier = le32(cap + 16);
    }
  }
  if (common_bar < 0 || notify_bar < 0) die("no virtio common or notify capability");

  /* queue_select (common+0x16), then that queue's queue_notify_off (+0x1e). */
  volatile uint8_t* common = map_bar(common_bar) + common_off;
  *(volatile uint16_t*)(common + 0x16) = queue;
  uint16_t queue_notify_off = *(volatile uint16_t*)(common + 0x1e);
  volatile uint8_t* notify_base = notify_bar == common_bar ? common - common_off : map_bar(notify_bar);
  volatile uint16_t* doorbell =
      (volatile uint16_t*)(notify_base + notify_off + (uint32_t)queue_notify_off * multiplier);

  *doorbell = queue;
  printf("PETREL-FLOOD-RUNNING bar=%d doorbell=0x%x queue=%u\n", notify_bar,
         (unsigned)(notify_off + (uint32_t)queue_notify_off * multiplier), queue);
  fflush(stdout);
  for (uint64_t n = 1;; n++) {
    *doorbell = queue;
    if ((n & 0xfff) == 0) {
      printf("PETREL-FLOOD writes=%llu\n", (unsigned long long)n);
      fflush(stdout);
    }
  }
}
