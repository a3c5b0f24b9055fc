# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# fuzz/config.cmake: the command line and the key=value option strings
# (vmm/config). User-facing parsers: they must never crash, hang or throw,
# and every error must be one line.
petrel_fuzz(config_option_parser_fuzz
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/config_option_parser_fuzz.cc DEPS petrel_config)
petrel_fuzz(config_cli_fuzz
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/config_cli_fuzz.cc DEPS petrel_config)
# The JSON door (vm.create bodies): strict reading, one-line errors, exact
# round trips of what it accepts.
petrel_fuzz(api_json_fuzz
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/api_json_fuzz.cc DEPS petrel_config)
