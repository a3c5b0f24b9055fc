# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# fuzz/image_formats.cmake: the disk image formats (devices/block/image).
# An image file may come from anywhere (a tenant uploads it): no crash,
# overflow or unbounded allocation on open, and the data path stays sound.
petrel_fuzz(vhd_image_fuzz SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/vhd_image_fuzz.cc
  DEPS petrel_block_image)
petrel_fuzz(vhdx_image_fuzz SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/vhdx_image_fuzz.cc
  DEPS petrel_block_image)
petrel_fuzz(vmdk_image_fuzz SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/vmdk_image_fuzz.cc
  DEPS petrel_block_image)
petrel_fuzz(qcow2_image_fuzz SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/qcow2_image_fuzz.cc
  DEPS petrel_block_image)
