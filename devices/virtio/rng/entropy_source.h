// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// EntropySource: where virtio-rng gets its bytes. Production reads a host
// file (e.g. /dev/urandom, opened once at creation); hv_sim and tests draw
// from an injected RandomSource so runs are reproducible.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "core/base/random.h"
#include "core/base/result.h"

namespace petrel::virtio {

// Fills all of `out` with entropy, or fails.
using EntropySource = std::function<Result<void>(std::span<uint8_t> out)>;

// Opens `path` read-only now (kNotFound / kSystem with a clear message if it
// cannot be opened); the returned source reads from it, retrying EINTR and
// short reads. An end of file is an error.
Result<EntropySource> FileEntropySource(const std::string& path);

// Draws bytes from `random` (RandomSource::Fill); `random` must outlive the
// returned source.
EntropySource RandomEntropySource(RandomSource& random);

}  // namespace petrel::virtio
