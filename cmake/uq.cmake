# Helpers shared by every module's CMakeLists.

# uq_library(name SOURCES ... DEPS ...): a static library of our own code, include root = repo root.
function(uq_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${UQ_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# uq_executable(name SOURCES ... DEPS ...)
function(uq_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${UQ_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()

# uq_gtest(name SOURCES ... DEPS ... [LABELS ...] [TIMEOUT s]): one GoogleTest binary = one ctest
# entry (fewer, larger entries keep ctest's start-up cost low on a 2-core CI machine).
function(uq_gtest name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  uq_executable(${name} SOURCES ${ARG_SOURCES} DEPS ${ARG_DEPS} GTest::gtest GTest::gtest_main
                GTest::gmock Threads::Threads)
  add_test(NAME ${name} COMMAND ${name} --gtest_brief=1)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 600)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}"
                       ENVIRONMENT "UQ_SOURCE_DIR=${CMAKE_SOURCE_DIR};UQ_BINARY_DIR=${CMAKE_BINARY_DIR}")
endfunction()

# uq_benchmark(name SOURCES ... DEPS ...): a Google Benchmark binary (not part of ctest).
function(uq_benchmark name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  uq_executable(${name} SOURCES ${ARG_SOURCES} DEPS ${ARG_DEPS} benchmark::benchmark
                benchmark::benchmark_main Threads::Threads)
endfunction()

# uq_fuzz_target(name SOURCES ... DEPS ... CORPUS dir): the fuzz entry point
# LLVMFuzzerTestOneInput is always built into <name>_replay, which ctest runs over every file in
# CORPUS (checked-in inputs and past crashers); with UQ_FUZZ=ON under clang, <name> is the
# libFuzzer binary itself.
function(uq_fuzz_target name)
  cmake_parse_arguments(ARG "" "CORPUS" "SOURCES;DEPS" ${ARGN})
  uq_executable(${name}_replay SOURCES ${ARG_SOURCES} ${CMAKE_SOURCE_DIR}/fuzz/replay_main.cc
                DEPS ${ARG_DEPS})
  add_test(NAME ${name}_replay COMMAND ${name}_replay ${ARG_CORPUS})
  set_tests_properties(${name}_replay PROPERTIES TIMEOUT 300 LABELS fuzz)
  if(UQ_FUZZ)
    uq_executable(${name} SOURCES ${ARG_SOURCES} DEPS ${ARG_DEPS})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  endif()
endfunction()
