# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# petrel_debian_version(<out var> <build version>): the Debian spelling of a
# build version (cmake/build_version.cmake). The leading "v" goes, and the
# part after the release becomes a "+" suffix with dots, so the package is
# native and sorts after the release it is built from:
#   v0.1.0                 -> 0.1.0
#   v0.1.0-g1a2b3c4d5e6f   -> 0.1.0+g1a2b3c4d5e6f
#   v0.2.0-3-gabc-dirty    -> 0.2.0+3.gabc.dirty
function(petrel_debian_version out build_version)
  string(REGEX REPLACE "^v" "" v "${build_version}")
  string(FIND "${v}" "-" dash)
  if(NOT dash EQUAL -1)
    string(SUBSTRING "${v}" 0 ${dash} release)
    math(EXPR rest_start "${dash} + 1")
    string(SUBSTRING "${v}" ${rest_start} -1 rest)
    string(REPLACE "-" "." rest "${rest}")
    set(v "${release}+${rest}")
  endif()
  set(${out} "${v}" PARENT_SCOPE)
endfunction()
