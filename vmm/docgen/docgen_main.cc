// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// petrel-docgen: writes the generated documentation files (a build tool,
// not installed).
//
//   petrel-docgen <output dir>
//   petrel-docgen --devices-md docs/devices.md
//
// The first writes man1/petrel.1, man1/petrel-remote.1,
// bash-completion/petrel, bash-completion/petrel-remote, zsh/_petrel and
// zsh/_petrel-remote; the second rewrites the generated part of
// docs/devices.md (device_doc.h).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "vmm/build_info.h"
#include "vmm/docgen/completion.h"
#include "vmm/docgen/device_doc.h"
#include "vmm/docgen/man_page.h"

namespace {

bool Write(const std::filesystem::path& path, const std::string& text) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::fprintf(stderr, "petrel-docgen: cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--devices-md") {
    std::ifstream in(argv[2], std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto updated = petrel::docgen::WithDeviceOptions(text);
    if (!updated) {
      std::fprintf(stderr, "petrel-docgen: %s has no generated-part markers\n", argv[2]);
      return 1;
    }
    return Write(argv[2], *updated) ? 0 : 1;
  }
  if (argc != 2) {
    std::fprintf(stderr, "usage: petrel-docgen <output dir>\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const std::string version(petrel::build_info::BuildVersion());
  using namespace petrel::docgen;
  bool ok = Write(dir / "man1/petrel.1", PetrelManPage(version));
  ok = Write(dir / "man1/petrel-remote.1", PetrelRemoteManPage(version)) && ok;
  ok = Write(dir / "bash-completion/petrel", PetrelBashCompletion()) && ok;
  ok = Write(dir / "bash-completion/petrel-remote", PetrelRemoteBashCompletion()) && ok;
  ok = Write(dir / "zsh/_petrel", PetrelZshCompletion()) && ok;
  ok = Write(dir / "zsh/_petrel-remote", PetrelRemoteZshCompletion()) && ok;
  return ok ? 0 : 1;
}
