// SPDX-License-Identifier: Apache-2.0
#include "mvcc/table/table_builder.h"

#include <algorithm>

#include "arenakv/base/check.h"
#include "mvcc/table/block_compression.h"
#include "mvcc/table/large_entry.h"
#include "mvcc/util/checksum.h"
#include "mvcc/util/coding.h"
#include "mvcc/util/dbformat.h"

namespace arenakv {
namespace {
constexpr std::uint64_t kMaxEntryBytes = (std::uint64_t{1} << 32) - 4096;
}  // namespace

TableBuilder::TableBuilder(const TableOptions& options, WritableFile* file)
    : options_(options),
      file_(file),
      data_block_(options.block_restart_interval),
      // Every index entry a restart point: a seek binary-searches all of them.
      index_block_(1) {
  ARENAKV_DCHECK(file_->Size() == 0);
  if (options_.bloom_bits_per_key > 0) {
    filter_ = std::make_unique<BloomFilterBuilder>(options_.bloom_bits_per_key);
  }
}

TableBuilder::~TableBuilder() = default;

void TableBuilder::Add(std::string_view internal_key, std::string_view value) {
  ARENAKV_DCHECK(!closed_);
  if (!status_.ok() || closed_) return;
  ParsedInternalKey parsed;
  const bool well_formed = ParseInternalKey(internal_key, &parsed);
  const bool in_order =
      properties_.num_entries == 0 || InternalKeyCompare(properties_.largest_key, internal_key) < 0;
  ARENAKV_DCHECK(well_formed && in_order);
  if (!well_formed) {
    status_ = Status::InvalidArgument("TableBuilder::Add: not an internal key");
    return;
  }
  if (!in_order) {
    status_ = Status::InvalidArgument("TableBuilder::Add: keys out of order");
    return;
  }
  // Block offsets are fixed32: an entry must leave room for its header and
  // the restart array within 4 GiB.
  if (internal_key.size() + value.size() > kMaxEntryBytes) {
    status_ = Status::InvalidArgument("TableBuilder::Add: entry too large for an SST block");
    return;
  }

  // A large value gets a block of its own (read key first by compactions):
  // the block open before it is written first.
  const bool large =
      options_.compression == CompressionType::kNone && value.size() >= kLargeEntryBlockBytes;
  if (large) FlushDataBlock();
  if (pending_index_entry_) {
    std::string handle;
    pending_handle_.EncodeTo(&handle);
    index_block_.Add(IndexSeparator(properties_.largest_key, internal_key), handle);
    pending_index_entry_ = false;
  }
  if (filter_ != nullptr && (properties_.num_entries == 0 ||
                             ExtractUserKey(properties_.largest_key) != parsed.user_key)) {
    filter_->AddKey(parsed.user_key);
  }

  properties_.AddEntry(internal_key, parsed, value.size());

  if (large) {
    WriteLargeEntryBlock(internal_key, value);
    return;
  }
  data_block_.Add(internal_key, value);
  if (data_block_.CurrentSizeEstimate() >= options_.block_size) FlushDataBlock();
}

// The bytes BlockBuilder would make of this one entry (a restart point, then
// a restart array of one), written in three pieces around the value.
void TableBuilder::WriteLargeEntryBlock(std::string_view internal_key, std::string_view value) {
  const std::string_view user_key = ExtractUserKey(internal_key);
  std::string head;
  PutEntryHeader({.shared = 0,
                  .non_shared = static_cast<std::uint32_t>(user_key.size()),
                  .value_length = static_cast<std::uint32_t>(value.size()),
                  .trailer = ExtractTrailer(internal_key)},
                 &head);
  head.append(user_key);
  std::string tail;
  PutFixed32(&tail, 0);  // the restart at offset 0
  PutFixed32(&tail, 1);  // one restart
  const char type = static_cast<char>(CompressionType::kNone);
  const std::uint32_t checksum = Checksum32Of({head, value, tail, std::string_view(&type, 1)});
  tail.push_back(type);
  PutFixed32(&tail, checksum);
  pending_handle_.offset = offset_;
  pending_handle_.size = head.size() + value.size() + tail.size() - kBlockTrailerSize;
  Append(head);
  Append(value);
  Append(tail);
  pending_index_entry_ = true;
  ++properties_.num_data_blocks;
}

void TableBuilder::FlushDataBlock() {
  if (data_block_.empty() || !status_.ok()) return;
  ARENAKV_DCHECK(!pending_index_entry_);
  WriteBlock(data_block_.Finish(), options_.compression, &pending_handle_);
  data_block_.Reset();
  pending_index_entry_ = true;
  ++properties_.num_data_blocks;
}

void TableBuilder::WriteBlock(std::string_view contents, CompressionType type,
                              BlockHandle* handle) {
  std::string_view stored = contents;
  if (CompressBlock(type, contents, &compressed_)) {
    stored = compressed_;
  } else {
    type = CompressionType::kNone;
  }
  handle->offset = offset_;
  handle->size = stored.size();
  Append(stored);
  std::string trailer;
  AppendBlockTrailer(stored, type, &trailer);
  Append(trailer);
  // A buffer sized for a block of a large value (7/8 of it, compressed or
  // not) is not kept for the rest of the table.
  if (compressed_.capacity() > BlockBuilder::kKeptCapacity) std::string().swap(compressed_);
}

void TableBuilder::Append(std::string_view data) {
  if (!status_.ok()) return;
  status_ = file_->Append(data);
  if (status_.ok()) offset_ += data.size();
}

Status TableBuilder::Finish() {
  ARENAKV_DCHECK(!closed_);
  if (closed_) return Status::InvalidArgument("TableBuilder::Finish after Finish or Abandon");
  FlushDataBlock();
  closed_ = true;
  if (!status_.ok()) return status_;
  TableProperties& p = properties_;
  p.data_bytes = offset_;
  if (pending_index_entry_) {
    // The last block's separator only has to be >= its last key.
    std::string handle;
    pending_handle_.EncodeTo(&handle);
    index_block_.Add(properties_.largest_key, handle);
    pending_index_entry_ = false;
  }
  const std::string_view index_contents = index_block_.Finish();
  p.index_bytes = index_contents.size() + kBlockTrailerSize;

  Footer footer;
  if (filter_ != nullptr) {
    const std::string filter = filter_->Finish();
    WriteBlock(filter, CompressionType::kNone, &footer.filter);
    p.filter_bytes = filter.size() + kBlockTrailerSize;
  }
  std::string properties_contents;
  EncodeProperties(p, &properties_contents);
  WriteBlock(properties_contents, CompressionType::kNone, &footer.properties);
  WriteBlock(index_contents, CompressionType::kNone, &footer.index);

  std::string footer_bytes;
  footer.EncodeTo(&footer_bytes);
  Append(footer_bytes);
  return status_;
}

void TableBuilder::Abandon() {
  ARENAKV_DCHECK(!closed_);
  closed_ = true;
}

}  // namespace arenakv
