# Fuzz targets for devices/block/image (included from fuzz/CMakeLists.txt).
petrel_fuzz(qcow2_image_fuzz SOURCES qcow2_image_fuzz.cc DEPS petrel_block_image)
