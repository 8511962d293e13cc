# ctest's `consumer` test (tests/CMakeLists.txt): installs the build in BUILD_DIR to a scratch
# prefix under WORK_DIR, checks that the package imposes none of actlab's own build flags, then
# configures, builds and runs the project in SOURCE_DIR against it on the data in DATA_DIR.
# SANITIZER_FLAGS: a sanitizer build's library needs the sanitizer runtimes in the consumer too.
set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix}
                OUTPUT_QUIET COMMAND_ERROR_IS_FATAL ANY)

file(GLOB targets_files ${prefix}/lib*/cmake/actlab/actlabTargets*.cmake)
foreach(file IN LISTS targets_files)
  file(READ ${file} text)
  foreach(flag -march -fsanitize -Wconversion -fopenmp-simd)
    string(FIND "${text}" "${flag}" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "${file}: the installed package passes ${flag} on to its consumers")
    endif()
  endforeach()
endforeach()

set(options -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release
            -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
if(COMPILER_LAUNCHER)
  list(APPEND options -DCMAKE_CXX_COMPILER_LAUNCHER=${COMPILER_LAUNCHER})
endif()
if(SANITIZER_FLAGS)
  list(APPEND options -DCMAKE_CXX_FLAGS=${SANITIZER_FLAGS}
                      -DCMAKE_EXE_LINKER_FLAGS=${SANITIZER_FLAGS})
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build ${options}
                COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${WORK_DIR}/build/consumer ${DATA_DIR} WORKING_DIRECTORY ${WORK_DIR}
                COMMAND_ERROR_IS_FATAL ANY)
