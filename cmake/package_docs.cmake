# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Build-time script (cmake -P): the files Debian policy wants beside the
# binaries, made from the build version so they always match it.
#   -DVERSION_FILE=<build>/generated/build_version.txt
#   -DSHARE_DIR=<build>/share   (reads man1/*.1, writes man1/*.1.gz, doc/)
#   -DCOPYRIGHT=ci/package/copyright  -DCONTACT="Name <address>"
#   -DSOURCE_DIR=<checkout>     (the commit date dates the changelog entry)
# Man pages and the changelog are compressed with gzip -9n (no name or time
# in the header: the same input gives the same bytes).
include(${CMAKE_CURRENT_LIST_DIR}/debian_version.cmake)
file(STRINGS "${VERSION_FILE}" build_version LIMIT_COUNT 1)
petrel_debian_version(debian_version "${build_version}")

if(NOT DEFINED ENV{SOURCE_DATE_EPOCH})
  find_package(Git QUIET)
  if(GIT_FOUND AND EXISTS "${SOURCE_DIR}/.git")
    execute_process(COMMAND "${GIT_EXECUTABLE}" log -1 --format=%ct WORKING_DIRECTORY "${SOURCE_DIR}"
                    OUTPUT_VARIABLE epoch OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(epoch MATCHES "^[0-9]+$")
      set(ENV{SOURCE_DATE_EPOCH} "${epoch}")
    endif()
  endif()
endif()
string(TIMESTAMP date "%a, %d %b %Y %H:%M:%S +0000" UTC)

file(MAKE_DIRECTORY "${SHARE_DIR}/doc")
file(WRITE "${SHARE_DIR}/doc/changelog"
  "petrel (${debian_version}) unstable; urgency=medium\n\n"
  "  * Built from the Petrel tree at ${build_version}.\n\n"
  " -- ${CONTACT}  ${date}\n")
configure_file("${COPYRIGHT}" "${SHARE_DIR}/doc/copyright" COPYONLY)

foreach(file doc/changelog man1/petrel.1 man1/petrel-remote.1)
  execute_process(COMMAND gzip -9nf "${SHARE_DIR}/${file}" -c
                  OUTPUT_FILE "${SHARE_DIR}/${file}.gz" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "gzip ${file} failed")
  endif()
endforeach()
