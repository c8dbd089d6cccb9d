// SPDX-License-Identifier: Apache-2.0
// Byte encodings shared by every on-disk format (write batch, WAL, SST,
// manifest): little-endian fixed-width integers and LEB128 varints.
//
// Put* append to a std::string. Get* decode from the front of a
// std::string_view and advance it past what they consumed; they are
// bounds-checked: on truncated input or a varint that overflows its type they
// return false and leave the input unchanged. Decode* read a fixed-width value
// from a pointer the caller has already bounds-checked.
#ifndef ARENAKV_MVCC_UTIL_CODING_H_
#define ARENAKV_MVCC_UTIL_CODING_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace arenakv {

constexpr std::size_t kMaxVarint32Length = 5;
constexpr std::size_t kMaxVarint64Length = 10;

inline void EncodeFixed16(char* dst, std::uint16_t value) {
  dst[0] = static_cast<char>(value & 0xff);
  dst[1] = static_cast<char>(value >> 8);
}

inline void EncodeFixed32(char* dst, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

inline void EncodeFixed64(char* dst, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

inline std::uint16_t DecodeFixed16(const char* src) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(src[0]) |
                                    static_cast<unsigned char>(src[1]) << 8);
}

inline std::uint32_t DecodeFixed32(const char* src) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    value |= static_cast<std::uint32_t>(static_cast<unsigned char>(src[i])) << (8 * i);
  }
  return value;
}

inline std::uint64_t DecodeFixed64(const char* src) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value |= static_cast<std::uint64_t>(static_cast<unsigned char>(src[i])) << (8 * i);
  }
  return value;
}

inline void PutFixed32(std::string* dst, std::uint32_t value) {
  char buf[4];
  EncodeFixed32(buf, value);
  dst->append(buf, sizeof(buf));
}

inline void PutFixed64(std::string* dst, std::uint64_t value) {
  char buf[8];
  EncodeFixed64(buf, value);
  dst->append(buf, sizeof(buf));
}

// Writes `value` as a varint at dst (room for kMaxVarint64Length bytes);
// returns the number of bytes written.
inline std::size_t EncodeVarint64(char* dst, std::uint64_t value) {
  std::size_t n = 0;
  while (value >= 0x80) {
    dst[n++] = static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  dst[n++] = static_cast<char>(value);
  return n;
}

inline void PutVarint64(std::string* dst, std::uint64_t value) {
  char buf[kMaxVarint64Length];
  dst->append(buf, EncodeVarint64(buf, value));
}

inline void PutVarint32(std::string* dst, std::uint32_t value) { PutVarint64(dst, value); }

// Bytes PutVarint64(value) appends.
inline std::size_t VarintLength(std::uint64_t value) {
  std::size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

inline bool GetFixed32(std::string_view* input, std::uint32_t* value) {
  if (input->size() < 4) return false;
  *value = DecodeFixed32(input->data());
  input->remove_prefix(4);
  return true;
}

inline bool GetFixed64(std::string_view* input, std::uint64_t* value) {
  if (input->size() < 8) return false;
  *value = DecodeFixed64(input->data());
  input->remove_prefix(8);
  return true;
}

// Rejects a varint longer than the type allows or whose last byte carries bits
// above `bits` (an overflow), as well as a truncated one.
namespace coding_internal {
inline bool GetVarint(std::string_view* input, unsigned bits, std::uint64_t* value) {
  const std::size_t max_len = (bits + 6) / 7;
  std::uint64_t result = 0;
  for (std::size_t i = 0; i < input->size() && i < max_len; ++i) {
    const std::uint64_t byte = static_cast<unsigned char>((*input)[i]);
    const unsigned shift = static_cast<unsigned>(7 * i);
    const std::uint64_t payload = byte & 0x7f;
    if (i + 1 == max_len) {
      // The last permitted byte: no continuation, and no bits past `bits`.
      if ((byte & 0x80) != 0) return false;
      if (bits - shift < 7 && (payload >> (bits - shift)) != 0) return false;
    }
    result |= payload << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      input->remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}
}  // namespace coding_internal

inline bool GetVarint64(std::string_view* input, std::uint64_t* value) {
  return coding_internal::GetVarint(input, 64, value);
}

inline bool GetVarint32(std::string_view* input, std::uint32_t* value) {
  std::uint64_t wide = 0;
  if (!coding_internal::GetVarint(input, 32, &wide)) return false;
  *value = static_cast<std::uint32_t>(wide);
  return true;
}

// A varint32 length followed by that many bytes; *result points into *input.
inline bool GetLengthPrefixed(std::string_view* input, std::string_view* result) {
  std::string_view rest = *input;
  std::uint32_t length = 0;
  if (!GetVarint32(&rest, &length) || rest.size() < length) return false;
  *result = rest.substr(0, length);
  rest.remove_prefix(length);
  *input = rest;
  return true;
}

inline void PutLengthPrefixed(std::string* dst, std::string_view value) {
  PutVarint32(dst, static_cast<std::uint32_t>(value.size()));
  dst->append(value);
}

}  // namespace arenakv

#endif  // ARENAKV_MVCC_UTIL_CODING_H_
