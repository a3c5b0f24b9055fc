// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// FieldError and EscapeForMessage: the one wording for a bad configuration
// value, shared by the command line and the REST API.
//
// A configuration struct's Validate() reports "<field>=<value>: <problem>"
// (e.g. "queue_size=2048: must be a power of two from 2 to 1024"); each door
// adds where the value came from: the CLI "--disk: ", the API "disks[0]: ".
// So both say the same thing about the same value.
#pragma once

#include <string>
#include <string_view>

#include "core/base/result.h"

namespace petrel {

// User text made safe for a one-line message: bytes outside printable ASCII
// become \xNN, and text over 120 bytes is cut with "...".
std::string EscapeForMessage(std::string_view text);

// kInvalidArgument, "<field>=<escaped value>: <problem>".
Error FieldError(std::string_view field, std::string_view value, std::string_view problem);

}  // namespace petrel
