# find_package(arenakv CONFIG REQUIRED) support. The installed package needs
# the library and its headers, Threads from the toolchain, and lz4 and zstd
# (found with pkg-config by arenakvConfig.cmake).
include(CMakePackageConfigHelpers)

install(TARGETS arenakv EXPORT arenakvTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/arenakv
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT arenakvTargets NAMESPACE arenakv::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/arenakv)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/arenakvConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/arenakvConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/arenakv)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/arenakvConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/arenakvConfig.cmake
              ${PROJECT_BINARY_DIR}/arenakvConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/arenakv)
