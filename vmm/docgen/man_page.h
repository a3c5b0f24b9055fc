// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Man pages for petrel(1) and petrel-remote(1), rendered from the option
// table (vmm/config/option_table.h) and petrel-remote's command table, so
// every option, key, default and example in them is the one the parsers
// use. petrel-docgen writes them at build time; `cmake --install` installs
// them.
#pragma once

#include <string>
#include <string_view>

namespace petrel::docgen {

// roff (man(7)) source. `version` goes into the page footer.
std::string PetrelManPage(std::string_view version);
std::string PetrelRemoteManPage(std::string_view version);

// Text escaped for roff: backslashes, hyphens (so an option copied from the
// page is an ASCII "-"), and a leading "." or "'" that would start a request;
// ':', '|' and ',' are followed by a zero-width break point (\:) so that long
// key forms can wrap without hyphenation.
std::string RoffEscape(std::string_view text);

}  // namespace petrel::docgen
