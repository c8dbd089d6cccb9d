// SPDX-License-Identifier: Apache-2.0
// The SST file format shared by TableBuilder (writer) and Table (reader):
// block handles, the block trailer, the properties block, the footer, and the
// options and properties types. Layout byte by byte: docs/FORMATS.md, "SST file".
//
//   file = data block* | filter block? | properties block | index block | footer
//   every block is followed by a trailer: u8 compression type | fixed32 checksum
//   (checksum of the stored bytes; a compressed data block stores
//   varint32 uncompressed size | lz4 or zstd bytes, mvcc/table/block_compression.h)
//
// Plain values and pure functions; ReadBlock is thread-safe when the file's
// Read is (RandomAccessFile::Read is).
#ifndef ARENAKV_MVCC_TABLE_TABLE_FORMAT_H_
#define ARENAKV_MVCC_TABLE_TABLE_FORMAT_H_

#include <arenakv/mvcc/db.h>
#include <arenakv/mvcc/file_system.h>
#include <arenakv/mvcc/status.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mvcc/util/dbformat.h"

namespace arenakv {

struct TableOptions {
  // Target size of a data block before the trailer: larger blocks mean a
  // smaller index and fewer reads for scans, but more bytes read per lookup.
  std::size_t block_size = 4096;
  // Keys between restart points in a data block: more means better prefix
  // compression but a longer linear scan after each binary search.
  int block_restart_interval = 16;
  // Bloom filter bits per user key; 0 writes no filter. 10 gives ~1% false
  // positives.
  int bloom_bits_per_key = 10;
  // How data blocks are compressed (index, filter and properties blocks never
  // are). Compression trades CPU on every block write and uncached block read
  // for smaller files; a block that would shrink by less than 1/8 is stored
  // uncompressed. Readers accept every type whatever this says.
  CompressionType compression = CompressionType::kNone;
};

// What a table holds, stored in its properties block. Byte counts of blocks
// include their 5-byte trailers.
struct TableProperties {
  std::uint64_t num_entries = 0;
  std::uint64_t num_deletions = 0;
  std::uint64_t num_data_blocks = 0;
  std::uint64_t raw_key_bytes = 0;    // sum of internal key sizes
  std::uint64_t raw_value_bytes = 0;  // sum of value sizes
  std::uint64_t data_bytes = 0;       // all data blocks on disk
  std::uint64_t index_bytes = 0;
  std::uint64_t filter_bytes = 0;  // 0 when the table has no filter
  SequenceNumber smallest_sequence = 0;
  SequenceNumber largest_sequence = 0;
  std::string smallest_key;  // internal keys; both empty when num_entries == 0
  std::string largest_key;

  // Counts one entry (internal key `key`, already parsed) into the entry
  // fields: counts, raw bytes, key and sequence ranges. Entries come in key
  // order, so the last one added is the largest.
  void AddEntry(std::string_view key, const ParsedInternalKey& parsed, std::size_t value_size);
};

// Where a block lies in the file: its contents, without the trailer.
struct BlockHandle {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;

  // varint64 offset | varint64 size (the value of an index entry).
  void EncodeTo(std::string* dst) const;
  // Corruption if `input` is not exactly one encoded handle.
  static Status DecodeFrom(std::string_view input, BlockHandle* handle);
};

// The header of one data-block entry (docs/FORMATS.md, "Data block"): how
// many bytes of the previous entry's user key it shares, the lengths of the
// user-key suffix and of the value that follow it, and the trailer
// (sequence << 8 | kind). BlockBuilder and the table builder's large-entry
// blocks write it with PutEntryHeader; blocks and large-entry peeks read it
// with GetEntryHeader.
struct EntryHeader {
  std::uint32_t shared = 0;
  std::uint32_t non_shared = 0;
  std::uint32_t value_length = 0;
  std::uint64_t trailer = 0;
};

// The most bytes an encoded EntryHeader takes (three varint32, a varint64).
constexpr std::size_t kMaxEntryHeaderSize = 3 * 5 + 10;

void PutEntryHeader(const EntryHeader& header, std::string* dst);

// Decodes the header at the start of *input and moves *input past it. False
// if a varint is malformed or cut short (*input is then unspecified).
bool GetEntryHeader(std::string_view* input, EntryHeader* header);

// CompressionType (kNone, kLz4, kZstd) is public: include/arenakv/mvcc/db.h.

constexpr std::size_t kBlockTrailerSize = 5;

// Appends the trailer of a block with these contents: the type byte, then
// fixed32 Checksum32(contents + type byte).
void AppendBlockTrailer(std::string_view contents, CompressionType type, std::string* dst);

// Reads the block at `handle` as stored, with its trailer, into `buffer`
// (handle.size + kBlockTrailerSize bytes), checks the checksum if
// verify_checksum, and sets *type to the trailer's compression byte, which
// is not checked: UncompressBlock reports an unknown one. Corruption on a
// short read or a bad checksum; the file's error on a failed read. For a
// caller that reads into memory of its own (the block cache's).
Status ReadRawBlock(const RandomAccessFile& file, const BlockHandle& handle, bool verify_checksum,
                    char* buffer, CompressionType* type);

// Reads the block at `handle` (stored bytes and trailer) from `file`, checks
// the checksum (of the stored bytes) if verify_checksum and the compression
// type always, and leaves the uncompressed contents in *contents: their size
// is handle.size only for a block stored uncompressed. Corruption on a short
// read, a bad checksum, an unknown compression type or a compressed payload
// that does not decode (UncompressBlock, mvcc/table/block_compression.h); the
// file's error on a failed read.
Status ReadBlock(const RandomAccessFile& file, const BlockHandle& handle, bool verify_checksum,
                 std::string* contents);

// 2: block entries store the user-key suffix and a varint64 trailer
// (mvcc/table/block_builder.h). Version 1 (a fixed64 trailer inside the key) is
// not read: there were no deployed files.
constexpr std::uint32_t kTableFormatVersion = 2;
// The last 8 bytes of every table: "akvtable" on disk.
constexpr std::uint64_t kTableMagicNumber = 0x656c626174766b61ull;
constexpr std::size_t kFooterSize = 64;

// The fixed-size end of every table file.
//   offset 0  index handle        fixed64 offset | fixed64 size
//   offset 16 filter handle       size 0 = no filter block
//   offset 32 properties handle
//   offset 48 format_version      fixed32
//   offset 52 checksum            fixed32 Checksum32(bytes 0..51)
//   offset 56 magic               fixed64 kTableMagicNumber
struct Footer {
  BlockHandle index;
  BlockHandle filter;
  BlockHandle properties;
  std::uint32_t format_version = kTableFormatVersion;

  void EncodeTo(std::string* dst) const;  // appends exactly kFooterSize bytes
  // Corruption if `input` (kFooterSize bytes) has the wrong magic number (not
  // an arenakv table), a format version other than kTableFormatVersion
  // ("unsupported table format version N"), or a bad checksum.
  static Status DecodeFrom(std::string_view input, Footer* footer);
};

// The properties block: varint64 num_entries, num_deletions, num_data_blocks,
// raw_key_bytes, raw_value_bytes, data_bytes, index_bytes, filter_bytes,
// smallest_sequence, largest_sequence, then bytes smallest_key, largest_key.
void EncodeProperties(const TableProperties& properties, std::string* dst);
// Corruption if a field is truncated or malformed. Bytes after the last field
// are ignored (room for fields a later writer appends).
Status DecodeProperties(std::string_view input, TableProperties* properties);

// An index key for the boundary between two data blocks: >= last_key (the
// last key of one block) and < next_key (the first of the next), and often
// shorter than both. Both are internal keys with last_key < next_key.
std::string IndexSeparator(std::string_view last_key, std::string_view next_key);

}  // namespace arenakv

#endif  // ARENAKV_MVCC_TABLE_TABLE_FORMAT_H_
