// Vhd images: not yet supported.
#include "devices/block/image/image_formats.h"

namespace petrel {

Result<std::unique_ptr<DiskImage>> OpenVhdImage(std::unique_ptr<DiskFile> file,
                                                 const ImageOptions&) {
  return Error(ErrorCode::kUnsupported, file->path() + ": vhd images are not supported yet");
}

}  // namespace petrel
