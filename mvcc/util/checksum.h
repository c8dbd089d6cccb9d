// SPDX-License-Identifier: Apache-2.0
// Checksum32: the record and block checksum of every on-disk format.
//
// The low 32 bits of XXH3_64bits (seed 0) over the concatenation a + b,
// computed with xxHash's streaming API so a header byte and a payload need not
// be copied into one buffer. Checksum32(a, b) == Checksum32(a + b).
//
// xxHash is used header-only (XXH_INLINE_ALL), so neither the library nor its
// consumers link libxxhash. Include this header from .cc files only.
#ifndef ARENAKV_MVCC_UTIL_CHECKSUM_H_
#define ARENAKV_MVCC_UTIL_CHECKSUM_H_

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace arenakv {

inline std::uint32_t Checksum32(std::string_view a, std::string_view b = {}) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, a.data(), a.size());
  XXH3_64bits_update(&state, b.data(), b.size());
  return static_cast<std::uint32_t>(XXH3_64bits_digest(&state));
}

// The same over any number of parts: Checksum32Of({a, b, c}) == Checksum32(a + b + c).
inline std::uint32_t Checksum32Of(std::initializer_list<std::string_view> parts) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  for (const std::string_view part : parts) XXH3_64bits_update(&state, part.data(), part.size());
  return static_cast<std::uint32_t>(XXH3_64bits_digest(&state));
}

}  // namespace arenakv

#endif  // ARENAKV_MVCC_UTIL_CHECKSUM_H_
