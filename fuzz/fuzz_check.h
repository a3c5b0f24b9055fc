// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Check: a fuzz target's oracle. A property that does not hold aborts, which
// libFuzzer reports as a crash with the input that broke it.
#pragma once

#include <cstdlib>

namespace petrel::fuzz {

inline void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace petrel::fuzz
