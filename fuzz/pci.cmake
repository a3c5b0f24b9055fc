# Fuzz targets for devices/pci (included from fuzz/CMakeLists.txt).
petrel_fuzz(pci_config_fuzz SOURCES pci_config_fuzz.cc DEPS petrel_pci)
