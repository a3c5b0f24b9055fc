// qcow2 images: not yet supported.
#include "devices/block/image/image_formats.h"

namespace petrel {

Result<std::unique_ptr<DiskImage>> OpenQcow2Image(std::unique_ptr<DiskFile> file,
                                                  const ImageOptions&, int) {
  return Error(ErrorCode::kUnsupported, file->path() + ": qcow2 images are not supported yet");
}

}  // namespace petrel
