# Configures, builds and runs one consumer project (its executables `consumer`
# and `db_example`); run by ctest through `cmake -P` (see CMakeLists.txt for the
# variables it gets).
#
#   MODE=install       installs ARENAKV_BUILD_DIR into PREFIX (removed first) and
#                      points the consumer at it with CMAKE_PREFIX_PATH
#   MODE=subdirectory  hands the consumer ARENAKV_SOURCE_DIR to add_subdirectory
cmake_minimum_required(VERSION 3.22)

foreach(var MODE PROJECT_DIR WORK_DIR ARENAKV_SOURCE_DIR ARENAKV_BUILD_DIR GENERATOR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} COMMAND_ECHO STDOUT COMMAND_ERROR_IS_FATAL ANY)
endfunction()

set(config_args)
if(NOT CONFIG STREQUAL "")
  set(config_args --config ${CONFIG})
endif()

set(mode_args)
if(MODE STREQUAL "install")
  file(REMOVE_RECURSE ${PREFIX})
  run(${CMAKE_COMMAND} --install ${ARENAKV_BUILD_DIR} --prefix ${PREFIX} ${config_args})
  # The installed package is the library, its headers and the CMake files;
  # nothing in it may refer to the test or benchmark frameworks.
  file(GLOB_RECURSE package_files ${PREFIX}/*.cmake)
  if(NOT package_files)
    message(FATAL_ERROR "no CMake package files installed under ${PREFIX}")
  endif()
  foreach(f IN LISTS package_files)
    file(STRINGS ${f} hits REGEX "GTest|gtest|gmock|benchmark")
    if(hits)
      message(FATAL_ERROR "${f} refers to a test/benchmark dependency:\n${hits}")
    endif()
  endforeach()
  set(mode_args -DCMAKE_PREFIX_PATH=${PREFIX})
elseif(MODE STREQUAL "subdirectory")
  set(mode_args -DARENAKV_SOURCE_DIR=${ARENAKV_SOURCE_DIR})
else()
  message(FATAL_ERROR "MODE must be install or subdirectory, not '${MODE}'")
endif()

set(build_dir ${WORK_DIR}/build)
file(REMOVE_RECURSE ${build_dir})
set(configure_args -S ${PROJECT_DIR} -B ${build_dir} -G ${GENERATOR}
    -DCMAKE_BUILD_TYPE=${CONFIG}
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

# `consumer` (consumer/main.cc), then `db_example` (examples/db_example.cc).
foreach(name consumer db_example)
  set(found OFF)
  foreach(exe ${build_dir}/${name} ${build_dir}/${CONFIG}/${name})
    if(NOT found AND EXISTS ${exe})
      run(${exe})
      set(found ON)
    endif()
  endforeach()
  if(NOT found)
    message(FATAL_ERROR "${name} executable not found under ${build_dir}")
  endif()
endforeach()
