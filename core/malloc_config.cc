#include "core/malloc_config.h"

#include <malloc.h>

namespace uq::core {

void configure_malloc() {
  // Setting either one stops glibc from moving both on its own, so both are set.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

}  // namespace uq::core
