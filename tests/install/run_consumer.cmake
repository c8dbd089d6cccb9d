# SPDX-License-Identifier: Apache-2.0
# Configures, builds and runs one consumer project; run by ctest through
# `cmake -P` (see CMakeLists.txt for the variables it gets).
#
#   MODE=install       installs ARENAKV_BUILD_DIR into PREFIX (removed first) and
#                      points the consumer project at it with CMAKE_PREFIX_PATH
#   MODE=subdirectory  hands the consumer ARENAKV_SOURCE_DIR to add_subdirectory
#   MODE=pkgconfig     installs into PREFIX, then compiles consumer/main.cc with
#                      `pkg-config arenakv-alloc` and examples/db_example.cc with
#                      `pkg-config arenakv` (--static for a static library)
#
#   EXECUTABLES        what to run after the build (default: consumer;db_example)
#   FORBID_LINK        a regex no link line may match (e.g. lz4|zstd)
cmake_minimum_required(VERSION 3.22)

foreach(var MODE PROJECT_DIR WORK_DIR ARENAKV_SOURCE_DIR ARENAKV_BUILD_DIR GENERATOR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT EXECUTABLES)
  set(EXECUTABLES consumer db_example)
endif()

function(run)
  execute_process(COMMAND ${ARGN} COMMAND_ECHO STDOUT COMMAND_ERROR_IS_FATAL ANY)
endfunction()

set(config_args)
if(NOT CONFIG STREQUAL "")
  set(config_args --config ${CONFIG})
endif()

set(build_dir ${WORK_DIR}/build)
file(REMOVE_RECURSE ${build_dir})
file(MAKE_DIRECTORY ${build_dir})

if(MODE STREQUAL "install" OR MODE STREQUAL "pkgconfig")
  file(REMOVE_RECURSE ${PREFIX})
  run(${CMAKE_COMMAND} --install ${ARENAKV_BUILD_DIR} --prefix ${PREFIX} ${config_args})
  # The installed package is the libraries, their headers, the CMake and
  # pkg-config files and the tools; nothing in it may refer to the test or
  # benchmark frameworks.
  file(GLOB_RECURSE package_files ${PREFIX}/*.cmake ${PREFIX}/*.pc)
  if(NOT package_files)
    message(FATAL_ERROR "no package files installed under ${PREFIX}")
  endif()
  foreach(f IN LISTS package_files)
    file(STRINGS ${f} hits REGEX "GTest|gtest|gmock|benchmark")
    if(hits)
      message(FATAL_ERROR "${f} refers to a test/benchmark dependency:\n${hits}")
    endif()
  endforeach()
endif()

if(MODE STREQUAL "pkgconfig")
  find_program(PKG_CONFIG pkg-config REQUIRED)
  file(GLOB_RECURSE pc_files ${PREFIX}/*/arenakv.pc)
  list(GET pc_files 0 pc_file)
  get_filename_component(pc_dir ${pc_file} DIRECTORY)
  set(ENV{PKG_CONFIG_PATH} ${pc_dir})
  set(static_flag)
  if(NOT BUILD_SHARED_LIBS)
    set(static_flag --static)
  endif()
  separate_arguments(cxx_flags UNIX_COMMAND "${CXX_FLAGS}")
  separate_arguments(linker_flags UNIX_COMMAND "${LINKER_FLAGS}")
  set(sources consumer ${PROJECT_DIR}/main.cc arenakv-alloc
              db_example ${ARENAKV_SOURCE_DIR}/examples/db_example.cc arenakv)
  while(sources)
    list(POP_FRONT sources name source module)
    execute_process(COMMAND ${PKG_CONFIG} --cflags --libs ${static_flag} ${module}
                    OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE
                    COMMAND_ERROR_IS_FATAL ANY)
    separate_arguments(flags UNIX_COMMAND "${flags}")
    # The libraries' directory, so that a shared build finds them at run time.
    run(${CXX_COMPILER} -std=c++20 ${cxx_flags} ${source} -o ${build_dir}/${name} ${flags}
        ${linker_flags} -Wl,-rpath,${pc_dir}/..)
  endwhile()
elseif(MODE STREQUAL "install" OR MODE STREQUAL "subdirectory")
  if(MODE STREQUAL "install")
    set(mode_args -DCMAKE_PREFIX_PATH=${PREFIX} -DCMAKE_BUILD_TYPE=${CONFIG})
  else()
    # No build type: the parent leaves it empty, and arenakv must leave it so
    # (subdirectory/CMakeLists.txt checks).
    set(mode_args -DARENAKV_SOURCE_DIR=${ARENAKV_SOURCE_DIR})
  endif()
  set(configure_args -S ${PROJECT_DIR} -B ${build_dir} -G ${GENERATOR}
      -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
      -DCMAKE_CXX_FLAGS=${CXX_FLAGS}
      -DCMAKE_EXE_LINKER_FLAGS=${LINKER_FLAGS}
      -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON
      -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON)
  if(MAKE_PROGRAM)
    list(APPEND configure_args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
  endif()
  if(NOT BUILD_SHARED_LIBS STREQUAL "")
    list(APPEND configure_args -DBUILD_SHARED_LIBS=${BUILD_SHARED_LIBS})
  endif()
  run(${CMAKE_COMMAND} ${configure_args} ${mode_args})
  run(${CMAKE_COMMAND} --build ${build_dir} ${config_args})
  if(FORBID_LINK)
    # The link commands the generator ran (Ninja; other generators: skipped).
    if(GENERATOR STREQUAL "Ninja")
      execute_process(COMMAND ${MAKE_PROGRAM} -C ${build_dir} -t commands
                      OUTPUT_VARIABLE commands COMMAND_ERROR_IS_FATAL ANY)
      message(STATUS "link and compile commands:\n${commands}")
      if(commands MATCHES "${FORBID_LINK}")
        message(FATAL_ERROR "a build command matches '${FORBID_LINK}'")
      endif()
    endif()
  endif()
else()
  message(FATAL_ERROR "MODE must be install, subdirectory or pkgconfig, not '${MODE}'")
endif()

foreach(name IN LISTS EXECUTABLES)
  set(found OFF)
  foreach(exe ${build_dir}/${name} ${build_dir}/${CONFIG}/${name})
    if(NOT found AND EXISTS ${exe})
      if(FORBID_LINK)
        # And the loader: no shared library it pulls in matches either.
        find_program(LDD ldd)
        if(LDD)
          execute_process(COMMAND ${LDD} ${exe} OUTPUT_VARIABLE libs)
          message(STATUS "ldd ${name}:\n${libs}")
          if(libs MATCHES "${FORBID_LINK}")
            message(FATAL_ERROR "${name} loads a library matching '${FORBID_LINK}'")
          endif()
        endif()
      endif()
      run(${exe})
      set(found ON)
    endif()
  endforeach()
  if(NOT found)
    message(FATAL_ERROR "${name} executable not found under ${build_dir}")
  endif()
endforeach()
