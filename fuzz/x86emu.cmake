# Fuzz target for core/x86emu (included from fuzz/CMakeLists.txt).
petrel_fuzz(x86emu_fuzz SOURCES x86emu_fuzz.cc DEPS petrel_x86emu)
