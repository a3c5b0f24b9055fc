# Fuzz targets for devices/virtio (included from fuzz/CMakeLists.txt).
petrel_fuzz(virtio_queue_fuzz SOURCES virtio_queue_fuzz.cc DEPS petrel_virtio_queue)
petrel_fuzz(virtio_blk_fuzz SOURCES virtio_blk_fuzz.cc DEPS petrel_virtio_blk petrel_event)
