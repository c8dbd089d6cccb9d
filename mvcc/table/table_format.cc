// SPDX-License-Identifier: Apache-2.0
#include "mvcc/table/table_format.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "mvcc/table/block_compression.h"
#include "mvcc/util/checksum.h"
#include "mvcc/util/coding.h"

namespace arenakv {

void TableProperties::AddEntry(std::string_view key, const ParsedInternalKey& parsed,
                               std::size_t value_size) {
  if (num_entries == 0) {
    smallest_key.assign(key);
    smallest_sequence = parsed.sequence;
    largest_sequence = parsed.sequence;
  }
  smallest_sequence = std::min(smallest_sequence, parsed.sequence);
  largest_sequence = std::max(largest_sequence, parsed.sequence);
  ++num_entries;
  if (parsed.kind == EntryKind::kDelete) ++num_deletions;
  raw_key_bytes += key.size();
  raw_value_bytes += value_size;
  largest_key.assign(key);
}

void BlockHandle::EncodeTo(std::string* dst) const {
  PutVarint64(dst, offset);
  PutVarint64(dst, size);
}

Status BlockHandle::DecodeFrom(std::string_view input, BlockHandle* handle) {
  BlockHandle decoded;
  if (!GetVarint64(&input, &decoded.offset) || !GetVarint64(&input, &decoded.size) ||
      !input.empty()) {
    return Status::Corruption("sst: bad block handle");
  }
  *handle = decoded;
  return Status::OK();
}

void PutEntryHeader(const EntryHeader& header, std::string* dst) {
  PutVarint32(dst, header.shared);
  PutVarint32(dst, header.non_shared);
  PutVarint32(dst, header.value_length);
  PutVarint64(dst, header.trailer);
}

bool GetEntryHeader(std::string_view* input, EntryHeader* header) {
  return GetVarint32(input, &header->shared) && GetVarint32(input, &header->non_shared) &&
         GetVarint32(input, &header->value_length) && GetVarint64(input, &header->trailer);
}

void AppendBlockTrailer(std::string_view contents, CompressionType type, std::string* dst) {
  const char type_byte = static_cast<char>(type);
  dst->push_back(type_byte);
  PutFixed32(dst, Checksum32(contents, std::string_view(&type_byte, 1)));
}

Status ReadRawBlock(const RandomAccessFile& file, const BlockHandle& handle, bool verify_checksum,
                    char* buffer, CompressionType* type) {
  if (handle.size > SIZE_MAX - kBlockTrailerSize) return Status::Corruption("sst: block too large");
  const std::size_t n = static_cast<std::size_t>(handle.size) + kBlockTrailerSize;
  std::string_view result;
  Status s = file.Read(handle.offset, n, &result, buffer);
  if (!s.ok()) return s;
  if (result.size() != n) return Status::Corruption("sst: block read past the end of the file");
  if (result.data() != buffer) std::copy(result.begin(), result.end(), buffer);

  const std::string_view block(buffer, static_cast<std::size_t>(handle.size));
  const std::string_view type_byte(buffer + handle.size, 1);
  if (verify_checksum) {
    const std::uint32_t expected = DecodeFixed32(buffer + handle.size + 1);
    if (Checksum32(block, type_byte) != expected) {
      return Status::Corruption("sst: block checksum mismatch");
    }
  }
  *type = static_cast<CompressionType>(static_cast<std::uint8_t>(type_byte[0]));
  return Status::OK();
}

Status ReadBlock(const RandomAccessFile& file, const BlockHandle& handle, bool verify_checksum,
                 std::string* contents) {
  if (handle.size > SIZE_MAX - kBlockTrailerSize) return Status::Corruption("sst: block too large");
  std::string buffer(static_cast<std::size_t>(handle.size) + kBlockTrailerSize, '\0');
  CompressionType type = CompressionType::kNone;
  Status s = ReadRawBlock(file, handle, verify_checksum, buffer.data(), &type);
  if (!s.ok()) return s;
  if (type == CompressionType::kNone) {
    buffer.resize(static_cast<std::size_t>(handle.size));
    *contents = std::move(buffer);
    return Status::OK();
  }
  // UncompressBlock reports an unknown type as Corruption.
  std::string uncompressed;
  s = UncompressBlock(type, std::string_view(buffer.data(), static_cast<std::size_t>(handle.size)),
                      &uncompressed);
  if (!s.ok()) return s;
  *contents = std::move(uncompressed);
  return Status::OK();
}

namespace {

void PutHandleFixed(std::string* dst, const BlockHandle& handle) {
  PutFixed64(dst, handle.offset);
  PutFixed64(dst, handle.size);
}

BlockHandle DecodeHandleFixed(const char* src) {
  return BlockHandle{DecodeFixed64(src), DecodeFixed64(src + 8)};
}

constexpr std::size_t kFooterChecksummedSize = 52;  // handles and format_version

}  // namespace

void Footer::EncodeTo(std::string* dst) const {
  const std::size_t start = dst->size();
  PutHandleFixed(dst, index);
  PutHandleFixed(dst, filter);
  PutHandleFixed(dst, properties);
  PutFixed32(dst, format_version);
  PutFixed32(dst, Checksum32(std::string_view(*dst).substr(start, kFooterChecksummedSize)));
  PutFixed64(dst, kTableMagicNumber);
}

Status Footer::DecodeFrom(std::string_view input, Footer* footer) {
  if (input.size() != kFooterSize) return Status::Corruption("not an arenakv table (too short)");
  const char* p = input.data();
  if (DecodeFixed64(p + 56) != kTableMagicNumber) {
    return Status::Corruption("not an arenakv table (bad magic number)");
  }
  const std::uint32_t version = DecodeFixed32(p + 48);
  if (version != kTableFormatVersion) {
    return Status::Corruption("unsupported table format version " + std::to_string(version));
  }
  if (Checksum32(input.substr(0, kFooterChecksummedSize)) != DecodeFixed32(p + 52)) {
    return Status::Corruption("sst: footer checksum mismatch");
  }
  footer->index = DecodeHandleFixed(p);
  footer->filter = DecodeHandleFixed(p + 16);
  footer->properties = DecodeHandleFixed(p + 32);
  footer->format_version = version;
  return Status::OK();
}

void EncodeProperties(const TableProperties& properties, std::string* dst) {
  for (const std::uint64_t value :
       {properties.num_entries, properties.num_deletions, properties.num_data_blocks,
        properties.raw_key_bytes, properties.raw_value_bytes, properties.data_bytes,
        properties.index_bytes, properties.filter_bytes, properties.smallest_sequence,
        properties.largest_sequence}) {
    PutVarint64(dst, value);
  }
  PutLengthPrefixed(dst, properties.smallest_key);
  PutLengthPrefixed(dst, properties.largest_key);
}

Status DecodeProperties(std::string_view input, TableProperties* properties) {
  TableProperties decoded;
  std::uint64_t* const numbers[] = {&decoded.num_entries,       &decoded.num_deletions,
                                    &decoded.num_data_blocks,   &decoded.raw_key_bytes,
                                    &decoded.raw_value_bytes,   &decoded.data_bytes,
                                    &decoded.index_bytes,       &decoded.filter_bytes,
                                    &decoded.smallest_sequence, &decoded.largest_sequence};
  for (std::uint64_t* number : numbers) {
    if (!GetVarint64(&input, number)) return Status::Corruption("sst: bad properties block");
  }
  std::string_view smallest;
  std::string_view largest;
  if (!GetLengthPrefixed(&input, &smallest) || !GetLengthPrefixed(&input, &largest)) {
    return Status::Corruption("sst: bad properties block");
  }
  decoded.smallest_key.assign(smallest);
  decoded.largest_key.assign(largest);
  *properties = std::move(decoded);
  return Status::OK();
}

std::string IndexSeparator(std::string_view last_key, std::string_view next_key) {
  const std::string_view last_user = ExtractUserKey(last_key);
  const std::string_view next_user = ExtractUserKey(next_key);
  const std::size_t limit = std::min(last_user.size(), next_user.size());
  std::size_t prefix = 0;
  while (prefix < limit && last_user[prefix] == next_user[prefix]) ++prefix;
  // Shorten to last_user[0, prefix] with its last byte incremented, if that
  // still sorts below next_user and saves bytes. Any internal key with that
  // user key lies strictly between the two blocks' keys; the largest trailer
  // makes it the first of them.
  if (prefix + 1 < last_user.size() && prefix < next_user.size()) {
    const auto byte = static_cast<unsigned char>(last_user[prefix]);
    if (byte < 0xff && byte + 1 < static_cast<unsigned char>(next_user[prefix])) {
      std::string separator(last_user.substr(0, prefix + 1));
      separator.back() = static_cast<char>(byte + 1);
      PutFixed64(&separator, PackTrailer(kMaxSequenceNumber, kKindForSeek));
      return separator;
    }
  }
  return std::string(last_key);
}

}  // namespace arenakv
