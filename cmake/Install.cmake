# SPDX-License-Identifier: Apache-2.0
# cmake --install: the libraries, their headers, the CMake package
# (find_package(arenakv CONFIG [COMPONENTS alloc skiplist mvcc])), pkg-config
# files (arenakv.pc, arenakv-alloc.pc) and, from tools/, kvbench and kvctl.
#
# Two export sets, so that an allocator-only consumer needs nothing but
# pthreads: arenakvAllocTargets (arenakv::alloc, arenakv::skiplist) and
# arenakvTargets (arenakv::arenakv, which also needs lz4 and zstd, found with
# pkg-config by arenakvConfig.cmake).
include(CMakePackageConfigHelpers)

set(_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/arenakv)

install(TARGETS arenakv_alloc arenakv_skiplist EXPORT arenakvAllocTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS arenakv EXPORT arenakvTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
foreach(module alloc skiplist mvcc)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${module}/include/arenakv
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()
install(FILES ${ARENAKV_GENERATED_INCLUDE_DIR}/arenakv/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/arenakv)
install(EXPORT arenakvAllocTargets NAMESPACE arenakv:: DESTINATION ${_cmake_dir})
install(EXPORT arenakvTargets NAMESPACE arenakv:: DESTINATION ${_cmake_dir})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/arenakvConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/arenakvConfig.cmake
                              INSTALL_DESTINATION ${_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/arenakvConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/arenakvConfig.cmake
              ${PROJECT_BINARY_DIR}/arenakvConfigVersion.cmake
        DESTINATION ${_cmake_dir})

# pkg-config: the engine's file names lz4/zstd as private requirements (a
# static libarenakv needs them at link time: pkg-config --static). The files
# find the prefix from where they lie (${pcfiledir}), so an install moved with
# `cmake --install --prefix` or DESTDIR still points at itself.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(ARENAKV_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _pc_to_prefix "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
  set(ARENAKV_PC_PREFIX "\${pcfiledir}/${_pc_to_prefix}")
endif()
foreach(pc arenakv arenakv-alloc)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/${pc}.pc.in ${PROJECT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
