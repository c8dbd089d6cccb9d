// SPDX-License-Identifier: Apache-2.0
// Internal keys: how the engine names one version of a user key outside the
// memtable (SST blocks, iterators, flush and compaction).
//
//   internal key = user key bytes | fixed64 trailer (little-endian)
//   trailer      = sequence << 8 | kind
//
// Order (InternalKeyCompare): user keys bytewise ascending, then trailers
// descending, so for each user key the newest version comes first.
//
// A lookup of user key K at snapshot S seeks to InternalKey(K, S, kKindForSeek):
// the first entry at or after it is the newest version of K with sequence <= S,
// if K has one.
#ifndef ARENAKV_MVCC_UTIL_DBFORMAT_H_
#define ARENAKV_MVCC_UTIL_DBFORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mvcc/util/coding.h"

namespace arenakv {

using SequenceNumber = std::uint64_t;
// Sequences are 56 bits: the trailer keeps the low byte for the kind.
constexpr SequenceNumber kMaxSequenceNumber = (SequenceNumber{1} << 56) - 1;

enum class EntryKind : std::uint8_t { kDelete = 0, kPut = 1 };
// The largest kind: with trailers descending, a seek key built with it sorts
// before every entry of the same user key and sequence.
constexpr EntryKind kKindForSeek = EntryKind::kPut;

constexpr std::size_t kTrailerSize = 8;

inline std::uint64_t PackTrailer(SequenceNumber sequence, EntryKind kind) {
  return sequence << 8 | static_cast<std::uint8_t>(kind);
}

inline void AppendInternalKey(std::string* dst, std::string_view user_key, SequenceNumber sequence,
                              EntryKind kind) {
  dst->append(user_key);
  PutFixed64(dst, PackTrailer(sequence, kind));
}

inline std::string InternalKey(std::string_view user_key, SequenceNumber sequence, EntryKind kind) {
  std::string key;
  key.reserve(user_key.size() + kTrailerSize);
  AppendInternalKey(&key, user_key, sequence, kind);
  return key;
}

struct ParsedInternalKey {
  std::string_view user_key;
  SequenceNumber sequence = 0;
  EntryKind kind = EntryKind::kPut;
};

// False (and *out untouched) if `key` is shorter than a trailer or its kind
// byte is not a known kind: a corrupt key.
inline bool ParseInternalKey(std::string_view key, ParsedInternalKey* out) {
  if (key.size() < kTrailerSize) return false;
  const std::uint64_t trailer = DecodeFixed64(key.data() + key.size() - kTrailerSize);
  const auto kind = static_cast<std::uint8_t>(trailer & 0xff);
  if (kind > static_cast<std::uint8_t>(EntryKind::kPut)) return false;
  out->user_key = key.substr(0, key.size() - kTrailerSize);
  out->sequence = trailer >> 8;
  out->kind = static_cast<EntryKind>(kind);
  return true;
}

// Requires key.size() >= kTrailerSize.
inline std::string_view ExtractUserKey(std::string_view key) {
  return key.substr(0, key.size() - kTrailerSize);
}
inline std::uint64_t ExtractTrailer(std::string_view key) {
  return DecodeFixed64(key.data() + key.size() - kTrailerSize);
}

// Three-way compare of internal keys (both at least kTrailerSize bytes).
inline int InternalKeyCompare(std::string_view a, std::string_view b) {
  const int r = ExtractUserKey(a).compare(ExtractUserKey(b));
  if (r != 0) return r < 0 ? -1 : 1;
  const std::uint64_t ta = ExtractTrailer(a);
  const std::uint64_t tb = ExtractTrailer(b);
  return ta > tb ? -1 : (ta < tb ? 1 : 0);
}

// InternalKeyCompare made total and safe for keys shorter than a trailer
// (which only corrupt data yields): such a key is its own user key and sorts
// before every well-formed entry of that user key.
inline int InternalKeyCompareTotal(std::string_view a, std::string_view b) {
  if (a.size() >= kTrailerSize && b.size() >= kTrailerSize) return InternalKeyCompare(a, b);
  const std::string_view user_a = a.size() >= kTrailerSize ? ExtractUserKey(a) : a;
  const std::string_view user_b = b.size() >= kTrailerSize ? ExtractUserKey(b) : b;
  const int r = user_a.compare(user_b);
  if (r != 0) return r < 0 ? -1 : 1;
  const bool short_a = a.size() < kTrailerSize;
  const bool short_b = b.size() < kTrailerSize;
  if (short_a != short_b) return short_a ? -1 : 1;
  return 0;  // both short and equal
}

}  // namespace arenakv

#endif  // ARENAKV_MVCC_UTIL_DBFORMAT_H_
