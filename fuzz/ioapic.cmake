# Fuzz target for devices/ioapic (included from fuzz/CMakeLists.txt).
petrel_fuzz(ioapic_fuzz SOURCES ioapic_fuzz.cc DEPS petrel_ioapic)
