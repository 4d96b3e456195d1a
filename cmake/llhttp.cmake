# llhttp is not packaged as a library on Debian 12: node-llhttp ships its C sources, which we build
# into a static library in strict mode (rejects lenient parsing such as bare LF line endings).
set(UQ_LLHTTP_DIR /usr/share/llhttp CACHE PATH "llhttp C sources from Debian's node-llhttp")
set(UQ_LLHTTP_INCLUDE /usr/share/include/llhttp CACHE PATH "llhttp.h from Debian's node-llhttp")
if(NOT EXISTS ${UQ_LLHTTP_DIR}/llhttp.c OR NOT EXISTS ${UQ_LLHTTP_INCLUDE}/llhttp.h)
  message(FATAL_ERROR "llhttp sources not found: install node-llhttp (scripts/install-deps.sh)")
endif()
add_library(llhttp STATIC ${UQ_LLHTTP_DIR}/llhttp.c ${UQ_LLHTTP_DIR}/api.c ${UQ_LLHTTP_DIR}/http.c)
target_include_directories(llhttp SYSTEM PUBLIC ${UQ_LLHTTP_INCLUDE})
target_compile_definitions(llhttp PRIVATE LLHTTP_STRICT_MODE=1)
target_compile_options(llhttp PRIVATE -w)
set_target_properties(llhttp PROPERTIES POSITION_INDEPENDENT_CODE ON)
