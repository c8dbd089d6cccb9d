// SPDX-License-Identifier: Apache-2.0
// TableBuilder: writes one SST file (format: mvcc/table/table_format.h and
// docs/FORMATS.md, "SST file") from internal keys added in increasing order.
//
// Usage
//   TableBuilder builder(options, file.get());
//   for (...) builder.Add(internal_key, value);
//   Status s = builder.Finish();       // or Abandon()
//   if (s.ok()) s = file->Sync();      // durability is the caller's business
//
// Data blocks are written as soon as they fill, so memory stays at about two
// blocks (one uncompressed, one compressed) plus the index, plus 8 bytes per
// user key for the bloom filter. Only data blocks are compressed
// (options.compression); index, filter and properties blocks are read once
// per Open and stay uncompressed.
//
// Not thread-safe: one thread drives a builder. The WritableFile is not owned;
// it must be empty when the builder starts and outlive it. The builder never
// Syncs or Closes it.
#ifndef ARENAKV_MVCC_TABLE_TABLE_BUILDER_H_
#define ARENAKV_MVCC_TABLE_TABLE_BUILDER_H_

#include <arenakv/mvcc/file_system.h>
#include <arenakv/mvcc/status.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mvcc/table/block_builder.h"
#include "mvcc/table/bloom.h"
#include "mvcc/table/table_format.h"

namespace arenakv {

class TableBuilder {
 public:
  TableBuilder(const TableOptions& options, WritableFile* file);
  ~TableBuilder();

  TableBuilder(const TableBuilder&) = delete;
  TableBuilder& operator=(const TableBuilder&) = delete;

  // Appends an entry. Keys must be valid internal keys in strictly increasing
  // InternalKeyCompare order; a violation is a caller bug: it aborts debug
  // builds and in release sets status() to InvalidArgument (and the entry is
  // dropped). An entry whose key and value together approach 4 GiB is
  // InvalidArgument too (it cannot fit a block). After an error every Add is
  // ignored. Requires no Finish/Abandon yet.
  void Add(std::string_view internal_key, std::string_view value);

  // OK, or the first error: a failed file Append or a rejected Add.
  Status status() const { return status_; }

  // Writes the last data block, the filter, properties and index blocks and
  // the footer. Returns status() afterwards; on error the file holds a partial
  // table that must be discarded. Does not Sync or Close the file.
  Status Finish();

  // Stops without finishing; the file holds a partial table to be discarded.
  void Abandon();

  std::uint64_t NumEntries() const { return properties_.num_entries; }
  // Bytes written to the file so far; the file's final size after Finish.
  std::uint64_t FileSize() const { return offset_; }
  // Complete after Finish; before it, counts what has been added so far.
  const TableProperties& properties() const { return properties_; }
  // Bytes of the buffers that hold data blocks on their way to the file
  // (the open block and the last compressed one). Between Adds at most
  // about two blocks, or BlockBuilder::kKeptCapacity each after a block
  // larger than that.
  std::size_t BufferBytes() const { return data_block_.MemoryUsage() + compressed_.capacity(); }
  // Heap bytes the builder holds: BufferBytes, plus the index block and the
  // filter's key hashes, which grow with the table (8 bytes per key, and one
  // index entry per data block).
  std::size_t MemoryUsage() const {
    return BufferBytes() + index_block_.MemoryUsage() +
           (filter_ != nullptr ? filter_->MemoryUsage() : 0);
  }

 private:
  // Writes the pending data block, if any, and remembers its handle for the
  // index entry added once the next key (or Finish) is known.
  void FlushDataBlock();
  // An entry of a megabyte or more into an empty block, uncompressed: written
  // from where it lies, not copied into data_block_ first.
  void WriteLargeEntryBlock(std::string_view internal_key, std::string_view value);
  // Appends contents, compressed with `type` when that saves at least 1/8
  // (CompressBlock), and the trailer; *handle says where the stored bytes went.
  void WriteBlock(std::string_view contents, CompressionType type, BlockHandle* handle);
  void Append(std::string_view data);

  const TableOptions options_;
  WritableFile* const file_;
  Status status_;
  std::uint64_t offset_ = 0;  // bytes appended to file_
  bool closed_ = false;       // Finish or Abandon was called

  BlockBuilder data_block_;
  BlockBuilder index_block_;
  std::unique_ptr<BloomFilterBuilder> filter_;  // null when bloom_bits_per_key == 0
  TableProperties properties_;
  // The last compressed data block (a buffer reused up to kKeptCapacity).
  std::string compressed_;

  // The last data block written, awaiting its index entry: the separator needs
  // the first key of the next block.
  bool pending_index_entry_ = false;
  BlockHandle pending_handle_;
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_TABLE_TABLE_BUILDER_H_
