// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Builders for synthetic bzImage and PVH ELF test images (see test_images.h).
#include "core/boot/test_images.h"

#include <cstring>

#include "core/base/bytes.h"

namespace petrel::boot::testing {
namespace {

void Put(std::vector<uint8_t>& out, const std::vector<uint8_t>& bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void PutNote(std::vector<uint8_t>& out, const char* name, uint32_t type,
             const std::vector<uint8_t>& desc) {
  const uint32_t namesz = static_cast<uint32_t>(std::strlen(name) + 1);
  std::vector<uint8_t> hdr(12);
  StoreLe<uint32_t>(hdr, 0, namesz);
  StoreLe<uint32_t>(hdr, 4, static_cast<uint32_t>(desc.size()));
  StoreLe<uint32_t>(hdr, 8, type);
  Put(out, hdr);
  for (uint32_t i = 0; i < (namesz + 3) / 4 * 4; ++i) out.push_back(i < namesz - 1 ? name[i] : 0);
  Put(out, desc);
  while (out.size() % 4 != 0) out.push_back(0);
}

}  // namespace

std::vector<uint8_t> Pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>((i * 131 + seed * 17 + (i >> 8)) | 1);
  return v;
}

std::vector<uint8_t> TestBzImage::Build() const {
  const size_t setup = (setup_sects == 0 ? 4 : setup_sects) + 1;
  std::vector<uint8_t> image(setup * 512, 0xcc);
  std::fill(image.begin() + 0x1f1, image.begin() + 0x290, 0);
  image[0x1f1] = setup_sects;
  StoreLe<uint16_t>(image, 0x1fe, boot_flag);
  image[0x200] = 0xeb;  // jmp short
  image[0x201] = header_len;
  StoreLe<uint32_t>(image, 0x202, header_magic);
  StoreLe<uint16_t>(image, 0x206, version);
  image[0x211] = loadflags;
  StoreLe<uint32_t>(image, 0x214, 0x100000);  // code32_start
  StoreLe<uint32_t>(image, 0x22c, initrd_addr_max);
  StoreLe<uint32_t>(image, 0x230, 0x200000);  // kernel_alignment
  image[0x234] = 1;                           // relocatable_kernel
  StoreLe<uint16_t>(image, 0x236, xloadflags);
  StoreLe<uint32_t>(image, 0x238, cmdline_size);
  StoreLe<uint64_t>(image, 0x258, pref_address);
  StoreLe<uint32_t>(image, 0x260, init_size);
  Put(image, payload);
  return image;
}

std::vector<uint8_t> TestElf::Build() const {
  constexpr uint64_t kEhdr = 64, kPhdr = 56;
  std::vector<uint8_t> notes;
  if (extra_note) PutNote(notes, "GNU", 3, Pattern(20, 9));
  if (pvh_entry) {
    std::vector<uint8_t> desc(entry_desc_size, 0);
    for (uint32_t i = 0; i < entry_desc_size && i < 8; ++i)
      desc[i] = static_cast<uint8_t>(*pvh_entry >> (8 * i));
    PutNote(notes, "Xen", 18, desc);
  }
  const uint64_t phnum = segments.size() + (notes.empty() ? 0 : 1);
  std::vector<uint8_t> image(kEhdr + phnum * kPhdr, 0);
  image[0] = 0x7f;
  image[1] = 'E';
  image[2] = 'L';
  image[3] = 'F';
  image[4] = elf_class;
  image[5] = 1;  // little-endian
  image[6] = 1;  // EV_CURRENT
  StoreLe<uint16_t>(image, 16, type);
  StoreLe<uint16_t>(image, 18, machine);
  StoreLe<uint32_t>(image, 20, 1);
  StoreLe<uint64_t>(image, 24, 0xffffffff81000000ULL);  // virtual e_entry, unused by PVH
  StoreLe<uint64_t>(image, 32, kEhdr);
  StoreLe<uint16_t>(image, 52, kEhdr);
  StoreLe<uint16_t>(image, 54, kPhdr);
  StoreLe<uint16_t>(image, 56, static_cast<uint16_t>(phnum));

  uint64_t ph = kEhdr;
  auto put_phdr = [&](uint32_t type_, uint64_t offset, uint64_t paddr, uint64_t filesz,
                      uint64_t memsz, uint64_t align) {
    StoreLe<uint32_t>(image, ph, type_);
    StoreLe<uint32_t>(image, ph + 4, 5);  // R+X
    StoreLe<uint64_t>(image, ph + 8, offset);
    StoreLe<uint64_t>(image, ph + 16, paddr + 0xffffffff80000000ULL);
    StoreLe<uint64_t>(image, ph + 24, paddr);
    StoreLe<uint64_t>(image, ph + 32, filesz);
    StoreLe<uint64_t>(image, ph + 40, memsz);
    StoreLe<uint64_t>(image, ph + 48, align);
    ph += kPhdr;
  };
  if (!notes.empty()) {
    put_phdr(4, image.size(), 0, notes.size(), notes.size(), 4);
    Put(image, notes);
  }
  for (const TestSegment& s : segments) {
    while (image.size() % 8 != 0) image.push_back(0);
    put_phdr(1, image.size(), s.paddr, s.data.size(), s.memsz, 0x200000);
    Put(image, s.data);
  }
  return image;
}

}  // namespace petrel::boot::testing
