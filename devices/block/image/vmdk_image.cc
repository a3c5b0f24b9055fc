// Vmdk images: not yet supported.
#include "devices/block/image/image_formats.h"

namespace petrel {

Result<std::unique_ptr<DiskImage>> OpenVmdkImage(std::unique_ptr<DiskFile> file,
                                                 const ImageOptions&) {
  return Error(ErrorCode::kUnsupported, file->path() + ": vmdk images are not supported yet");
}

}  // namespace petrel
