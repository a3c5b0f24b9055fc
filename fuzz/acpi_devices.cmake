# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Fuzz targets for devices/acpi (included from fuzz/CMakeLists.txt).
petrel_fuzz(acpi_devices_fuzz SOURCES acpi_devices_fuzz.cc DEPS petrel_acpi_devices)
petrel_fuzz(cpu_hotplug_fuzz SOURCES cpu_hotplug_fuzz.cc DEPS petrel_acpi_devices)
petrel_fuzz(pci_hotplug_fuzz SOURCES pci_hotplug_fuzz.cc DEPS petrel_acpi_devices)
petrel_fuzz(memory_hotplug_fuzz SOURCES memory_hotplug_fuzz.cc DEPS petrel_acpi_devices)
