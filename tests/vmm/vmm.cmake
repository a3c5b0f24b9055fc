# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# tests/vmm: whole-VMM tests (VmInstance on hv_sim; the petrel binary's errors).
petrel_test(vm_instance_sim_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/vm_instance_sim_test.cc
            DEPS petrel_vmm petrel_hv_sim petrel_test_guests)
add_dependencies(vm_instance_sim_test null_guest)

petrel_test(petrel_cli_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/petrel_cli_test.cc
            DEPS petrel_test_guests petrel_isolation petrel_isolation_rules petrel_build_info)
target_compile_definitions(petrel_cli_test PRIVATE PETREL_BINARY="$<TARGET_FILE:petrel>")
add_dependencies(petrel_cli_test petrel null_guest)

petrel_test(console_output_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/console_output_test.cc
            DEPS petrel_vmm)

petrel_test(vmm_sim_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/vmm_sim_test.cc
            DEPS petrel_vmm petrel_api petrel_api_client petrel_hv_sim petrel_test_guests)
add_dependencies(vmm_sim_test null_guest)

petrel_test(vm_pause_sim_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/vm_pause_sim_test.cc
            DEPS petrel_vmm petrel_hv_sim petrel_test_guests petrel_virtio_testing)
add_dependencies(vm_pause_sim_test null_guest)

petrel_test(vm_snapshot_sim_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/vm_snapshot_sim_test.cc
            DEPS petrel_vmm petrel_hv_sim petrel_test_guests petrel_virtio_testing)
add_dependencies(vm_snapshot_sim_test null_guest)

petrel_test(vmm_snapshot_sim_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/vmm_snapshot_sim_test.cc
            DEPS petrel_vmm petrel_api petrel_hv_sim petrel_test_guests)
add_dependencies(vmm_snapshot_sim_test null_guest)

petrel_test(vm_migration_sim_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/vm_migration_sim_test.cc
            DEPS petrel_vmm petrel_hv_sim petrel_test_guests petrel_virtio_testing)
add_dependencies(vm_migration_sim_test null_guest)

petrel_test(vmm_migration_sim_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/vmm_migration_sim_test.cc
            DEPS petrel_vmm petrel_api petrel_hv_sim petrel_test_guests)
add_dependencies(vmm_migration_sim_test null_guest)

# Cloud Hypervisor's documented curl requests against the petrel binary.
add_test(NAME ch_api_doc_curl_test
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/ch_api_doc_curl_test.sh $<TARGET_FILE:petrel>)
set_tests_properties(ch_api_doc_curl_test PROPERTIES SKIP_RETURN_CODE 77)

petrel_test(vm_determinism_sim_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/vm_determinism_sim_test.cc
            DEPS petrel_vmm petrel_hv_sim petrel_test_guests)
add_dependencies(vm_determinism_sim_test null_guest)

petrel_test(vmm_restore_net_fds_sim_test
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/vmm_restore_net_fds_sim_test.cc
            DEPS petrel_vmm petrel_api petrel_hv_sim petrel_test_guests)
add_dependencies(vmm_restore_net_fds_sim_test null_guest)

petrel_test(vmm_landlock_sim_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/vmm_landlock_sim_test.cc
            DEPS petrel_vmm petrel_api petrel_hv_sim petrel_test_guests)
add_dependencies(vmm_landlock_sim_test null_guest)
petrel_test(vmm_thread_syscalls_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/thread_syscalls_test.cc
  DEPS petrel_thread_syscalls petrel_hv_sim petrel_test_guests)
add_dependencies(vmm_thread_syscalls_test null_guest)

petrel_test(vm_cpu_hotplug_sim_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/vm_cpu_hotplug_sim_test.cc
            DEPS petrel_vmm petrel_hv_sim petrel_test_guests petrel_virtio_testing)
add_dependencies(vm_cpu_hotplug_sim_test null_guest)

petrel_test(vm_pci_hotplug_sim_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/vm_pci_hotplug_sim_test.cc
            DEPS petrel_vmm petrel_hv_sim petrel_test_guests petrel_virtio_testing)
add_dependencies(vm_pci_hotplug_sim_test null_guest)
petrel_test(vm_pvpanic_sim_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/vm_pvpanic_sim_test.cc
            DEPS petrel_vmm petrel_hv_sim petrel_test_guests petrel_virtio_testing)
add_dependencies(vm_pvpanic_sim_test null_guest)
petrel_test(vm_iommu_sim_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/vm_iommu_sim_test.cc
            DEPS petrel_vmm petrel_hv_sim petrel_test_guests petrel_virtio_testing)
add_dependencies(vm_iommu_sim_test null_guest)
petrel_test(vm_watchdog_sim_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/vm_watchdog_sim_test.cc
            DEPS petrel_vmm petrel_hv_sim petrel_test_guests petrel_virtio_testing)
add_dependencies(vm_watchdog_sim_test null_guest)
petrel_test(vm_pmem_sim_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/vm_pmem_sim_test.cc
            DEPS petrel_vmm petrel_hv_sim petrel_test_guests petrel_virtio_testing)
add_dependencies(vm_pmem_sim_test null_guest)
petrel_test(vm_vsock_sim_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/vm_vsock_sim_test.cc
            DEPS petrel_vmm petrel_hv_sim petrel_test_guests)
add_dependencies(vm_vsock_sim_test null_guest)
petrel_test(vm_tpm_sim_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/vm_tpm_sim_test.cc
            DEPS petrel_vmm petrel_hv_sim petrel_test_guests)
add_dependencies(vm_tpm_sim_test null_guest)
