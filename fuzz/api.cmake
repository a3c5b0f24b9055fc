# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# fuzz/api.cmake: the REST API's HTTP request parser and router (vmm/api).
# The socket peer is untrusted: no crash, hang or unbounded growth.
petrel_fuzz(api_http_fuzz
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/api_http_fuzz.cc DEPS petrel_api)
# The same with the VMM's real VmmControl (vmm/vmm.h) and a VM
# configuration from the input: vm.info reports user-supplied strings,
# vm.create bodies reach the JSON reader.
petrel_fuzz(api_control_fuzz
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/api_control_fuzz.cc DEPS petrel_vmm petrel_api)
