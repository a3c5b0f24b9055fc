// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Accessors for the embedded test guests (data from the generated
// null_guest_blob.S, see guests.cmake).
#include "tests/guests/test_guests.h"

extern "C" const uint8_t petrel_null_guest_bin_start[];
extern "C" const uint8_t petrel_null_guest_bin_end[];

namespace petrel::testing {

std::span<const uint8_t> NullGuestBin() {
  return {petrel_null_guest_bin_start, petrel_null_guest_bin_end};
}

}  // namespace petrel::testing
