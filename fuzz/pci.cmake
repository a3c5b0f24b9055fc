# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Fuzz targets for devices/pci (included from fuzz/CMakeLists.txt).
petrel_fuzz(pci_config_fuzz SOURCES pci_config_fuzz.cc DEPS petrel_pci)
# BAR programming and moves through the VMM's PCI platform (vmm/pci_platform).
petrel_fuzz(pci_platform_fuzz SOURCES pci_platform_fuzz.cc DEPS petrel_vmm)
# --pvpanic's device: BAR and config space accesses from the guest.
petrel_fuzz(pvpanic_fuzz SOURCES pvpanic_fuzz.cc DEPS petrel_pvpanic)
# --tpm's CRB page: register and data buffer accesses from the guest.
petrel_fuzz(tpm_crb_fuzz SOURCES tpm_crb_fuzz.cc DEPS petrel_tpm petrel_event)
