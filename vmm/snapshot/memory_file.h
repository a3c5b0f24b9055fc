// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Guest memory to and from a snapshot's memory file.
//
// The file holds each guest RAM region in turn at 4 KiB aligned offsets
// (the MemoryRange list says where); all-zero 4 KiB pages are never
// written, so they stay holes and the file is sparse: a freshly booted
// guest's mostly-untouched RAM costs little disk. Restoring maps the file
// MAP_PRIVATE instead of reading it: a page comes from the file only when
// the guest or the VMM first touches it, and guest writes never reach the
// file (copy-on-write), so one file can back several restored VMs.
//
// Every region gpa, size and file offset is a multiple of 4 KiB (x86 page
// size; guest RAM regions are).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/memory/guest_memory.h"

namespace petrel::vmm::snapshot {

inline constexpr uint64_t kMemoryFilePageSize = 4096;
// Far more regions than any VM has (x86 has two: below and above the hole).
inline constexpr size_t kMaxMemoryRanges = 1024;

// Guest bytes [gpa, gpa + size) are at [file_offset, file_offset + size).
struct MemoryRange {
  uint64_t gpa = 0;
  uint64_t size = 0;
  uint64_t file_offset = 0;
  bool operator==(const MemoryRange&) const = default;
};

// {"gpa": ..., "size": ..., "file_offset": ...}; decoding as state_json.h
// (strict, errors name the path; checks shape only, MapMemoryFile the rest).
nlohmann::json ToJson(const MemoryRange& range);
Result<MemoryRange> MemoryRangeFromJson(const nlohmann::json& j, const std::string& path = {});
// A JSON array of ranges, at most kMaxMemoryRanges.
nlohmann::json ToJson(const std::vector<MemoryRange>& ranges);
Result<std::vector<MemoryRange>> MemoryRangesFromJson(const nlohmann::json& j,
                                                      const std::string& path = {});

// Writes every region of `memory` into the file at `path` (created mode 0600,
// or truncated), region after region at increasing 4 KiB aligned offsets,
// skipping all-zero 4 KiB pages so they stay holes; the file's size covers
// the last range. fsyncs before returning the ranges. *written (if not
// null) receives the bytes actually written (the non-zero pages). The
// guest must not run meanwhile (its memory would be torn).
Result<std::vector<MemoryRange>> WriteMemoryFile(const GuestMemory& memory, const std::string& path,
                                                 uint64_t* written = nullptr);

// A GuestMemory with the ranges' layout whose regions map `path` MAP_PRIVATE
// (HostRegion::MapFile), every page read in now when `prefault`
// (MAP_POPULATE). Fails if the ranges are empty-sized, not 4 KiB aligned,
// wrap, overlap (in guest addresses or in the file), or the file is shorter
// than they need. The file must not shrink while mapped (the guest would
// fault on the missing pages).
Result<std::shared_ptr<GuestMemory>> MapMemoryFile(const std::string& path,
                                                   const std::vector<MemoryRange>& ranges,
                                                   bool prefault);
// The same checks, but the file's contents are read into new memory
// (anonymous, or memfds with RamBacking::kShared): only its data extents
// (holes are zero pages, as new memory is), or every page with `prefault`,
// which so touches all of guest RAM. The file is not needed afterwards.
Result<std::shared_ptr<GuestMemory>> ReadMemoryFile(const std::string& path,
                                                    const std::vector<MemoryRange>& ranges,
                                                    bool prefault,
                                                    RamBacking backing = RamBacking::kPrivate);

}  // namespace petrel::vmm::snapshot
