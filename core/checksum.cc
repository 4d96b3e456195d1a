#include "core/checksum.h"

#include <xxhash.h>

#include "core/check.h"

namespace uq {

uint64_t checksum(ChecksumDomain domain, const void* data, size_t size) {
  return XXH3_64bits_withSeed(data, size, static_cast<uint64_t>(domain));
}

Checksummer::Checksummer(ChecksumDomain domain) : state_(XXH3_createState()) {
  UQ_CHECK(state_ != nullptr, "XXH3_createState failed");
  XXH3_64bits_reset_withSeed(static_cast<XXH3_state_t*>(state_), static_cast<uint64_t>(domain));
}

Checksummer::~Checksummer() {
  XXH3_freeState(static_cast<XXH3_state_t*>(state_));
}

void Checksummer::update(const void* data, size_t size) {
  XXH3_64bits_update(static_cast<XXH3_state_t*>(state_), data, size);
}

uint64_t Checksummer::digest() const {
  return XXH3_64bits_digest(static_cast<XXH3_state_t*>(state_));
}

}  // namespace uq
