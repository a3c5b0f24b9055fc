# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# tests/audit: the guest-reachability audit (docs/security-audit.md): no
# abort, exit, failed assert or uncaught exception in code the guest drives.
#
#   audit_guest_reachable_objects  nm/objdump over the libraries below
#   audit_guest_reachable_sources  assert/throw/__builtin_trap in their sources
find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(STATUS "audit: no python3; the guest-reachability audit tests are not registered")
  return()
endif()

# The libraries whose code runs on guest data: device models, the virtqueue,
# bus and I/O dispatch, guest memory, the event loops device work runs on,
# the x86 emulator and the backends' exit handling. Not here: CLI/config
# parsing (petrel_virtio_config), boot-time builders over host input
# (petrel_boot, petrel_acpi, petrel_arch), isolation, test-only libraries.
set(PETREL_GUEST_REACHABLE_LIBS
  petrel_base petrel_bus petrel_event petrel_hv petrel_io petrel_memory petrel_ratelimit petrel_x86emu
  petrel_legacy petrel_acpi_devices petrel_pci petrel_ioapic petrel_testdev
  petrel_block petrel_net petrel_virtio_queue petrel_virtio_pci petrel_virtio_blk
  petrel_virtio_console petrel_virtio_net petrel_virtio_rng
  petrel_hv_kvm petrel_hv_mshv petrel_hv_sim)

add_test(NAME audit_guest_reachable_sources
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/check_sources.py
                 --root ${PROJECT_SOURCE_DIR}
                 --allowlist ${CMAKE_CURRENT_LIST_DIR}/source_allowlist.txt
                 core/base core/bus core/event core/hv core/io core/memory core/ratelimit core/x86emu
                 devices hv_kvm hv_mshv hv_sim)

# The binary check reads optimized, uninstrumented objects: the build that
# ships. Debug keeps every inline helper out of line (the allow-list names
# call sites after inlining) and sanitizers add their own runtime calls;
# there the source check still runs.
if(CMAKE_BUILD_TYPE MATCHES "^(RelWithDebInfo|Release|MinSizeRel)$" AND
   NOT PETREL_FUZZ AND NOT PETREL_SANITIZE AND NOT PETREL_TSAN)
  set(audit_libs)
  foreach(lib IN LISTS PETREL_GUEST_REACHABLE_LIBS)
    list(APPEND audit_libs $<TARGET_FILE:${lib}>)
  endforeach()
  add_test(NAME audit_guest_reachable_objects
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/check_objects.py
                   --nm ${CMAKE_NM} --objdump ${CMAKE_OBJDUMP}
                   --allowlist ${CMAKE_CURRENT_LIST_DIR}/object_allowlist.txt
                   ${audit_libs})
endif()

# Every source file carries the licence header (LICENSE, REUSE.toml).
add_test(NAME audit_spdx_headers
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/check_spdx.py --root ${PROJECT_SOURCE_DIR})
