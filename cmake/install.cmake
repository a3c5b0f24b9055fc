# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Install rules: `cmake --install <build> [--prefix P]` puts
#   bin/petrel, bin/petrel-remote
#   share/man/man1/petrel.1.gz, petrel-remote.1.gz     (generated: vmm/docgen)
#   share/bash-completion/completions/petrel, petrel-remote
#   share/zsh/vendor-completions/_petrel, _petrel-remote
#   share/doc/petrel/  README, quickstart, API, drop-in and security docs,
#                      the licence texts, copyright and changelog.gz
# under the prefix (component "petrel"). Component "chnames" adds Cloud
# Hypervisor's names (docs/drop-in.md): bin/cloud-hypervisor -> petrel,
# bin/ch-remote -> petrel-remote, their man pages and bash completions. It
# is installed by default only with -DPETREL_INSTALL_CH_NAMES=ON; otherwise
# with `cmake --install <build> --component chnames`. cmake/packaging.cmake
# makes one Debian package of each component.
include(GNUInstallDirs)
option(PETREL_INSTALL_CH_NAMES
       "Install cloud-hypervisor and ch-remote as names of petrel and petrel-remote" OFF)

install(TARGETS petrel petrel-remote RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT petrel)
install(FILES ${PETREL_SHARE_DIR}/man1/petrel.1.gz ${PETREL_SHARE_DIR}/man1/petrel-remote.1.gz
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT petrel)
install(FILES ${PETREL_SHARE_DIR}/bash-completion/petrel
              ${PETREL_SHARE_DIR}/bash-completion/petrel-remote
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions COMPONENT petrel)
install(FILES ${PETREL_SHARE_DIR}/zsh/_petrel ${PETREL_SHARE_DIR}/zsh/_petrel-remote
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions COMPONENT petrel)
install(FILES README.md docs/quickstart.md docs/api.md docs/drop-in.md docs/security.md
              docs/features.md LICENSE LICENSES/Apache-2.0.txt LICENSES/BSD-3-Clause.txt
              ${PETREL_SHARE_DIR}/doc/copyright ${PETREL_SHARE_DIR}/doc/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/petrel COMPONENT petrel)
# Debian's lintian: petrel-remote is static on purpose (docs/dependencies.md).
install(FILES ci/package/lintian-overrides/petrel
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides COMPONENT petrel)

# The drop-in names are relative symlinks made here, installed as links.
set(links ${CMAKE_BINARY_DIR}/ch-names)
file(MAKE_DIRECTORY ${links}/bin ${links}/man1 ${links}/completions)
file(CREATE_LINK petrel ${links}/bin/cloud-hypervisor SYMBOLIC)
file(CREATE_LINK petrel-remote ${links}/bin/ch-remote SYMBOLIC)
file(CREATE_LINK petrel.1.gz ${links}/man1/cloud-hypervisor.1.gz SYMBOLIC)
file(CREATE_LINK petrel-remote.1.gz ${links}/man1/ch-remote.1.gz SYMBOLIC)
file(CREATE_LINK petrel ${links}/completions/cloud-hypervisor SYMBOLIC)
file(CREATE_LINK petrel-remote ${links}/completions/ch-remote SYMBOLIC)
if(PETREL_INSTALL_CH_NAMES)
  set(ch_names_default "")
else()
  set(ch_names_default EXCLUDE_FROM_ALL)
endif()
install(FILES ${links}/bin/cloud-hypervisor ${links}/bin/ch-remote
        DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT chnames ${ch_names_default})
install(FILES ${links}/man1/cloud-hypervisor.1.gz ${links}/man1/ch-remote.1.gz
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT chnames ${ch_names_default})
install(FILES ${links}/completions/cloud-hypervisor ${links}/completions/ch-remote
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions COMPONENT chnames
        ${ch_names_default})
install(FILES ${PETREL_SHARE_DIR}/doc/copyright ${PETREL_SHARE_DIR}/doc/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/petrel-ch-names COMPONENT chnames
        ${ch_names_default})
