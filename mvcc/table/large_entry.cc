// SPDX-License-Identifier: Apache-2.0
#include "mvcc/table/large_entry.h"

#include <algorithm>
#include <utility>

#include "mvcc/util/coding.h"
#include "mvcc/util/sync_point.h"

namespace arenakv {

Status PeekLargeEntry(const RandomAccessFile& file, const BlockHandle& handle, std::string* key,
                      bool* found) {
  *found = false;
  // The tail: restart offset, restart count, then the trailer's type byte
  // (its checksum follows). One entry means one restart, at offset 0.
  constexpr std::size_t kTail = 8 + 1;
  if (handle.size < kLargeEntryBlockBytes) return Status::OK();
  char tail_scratch[kTail];
  std::string_view tail;
  Status s = file.Read(handle.offset + handle.size - 8, kTail, &tail, tail_scratch);
  if (!s.ok() || tail.size() != kTail) return s;  // short: the whole read reports it
  if (DecodeFixed32(tail.data()) != 0 || DecodeFixed32(tail.data() + 4) != 1 ||
      static_cast<CompressionType>(static_cast<std::uint8_t>(tail[8])) != CompressionType::kNone) {
    return Status::OK();
  }
  // The entry's header and its user key.
  std::string head(std::min<std::uint64_t>(handle.size, kMaxEntryHeaderSize + kMaxPeekedKey), '\0');
  std::string_view input;
  s = file.Read(handle.offset, head.size(), &input, head.data());
  if (!s.ok() || input.size() != head.size()) return s;
  const std::size_t header_start = input.size();
  EntryHeader entry;
  if (!GetEntryHeader(&input, &entry) || entry.shared != 0 || entry.non_shared > input.size()) {
    return Status::OK();
  }
  const std::uint64_t header = header_start - input.size();
  // The entry must fill the block up to its restart array exactly.
  if (header + entry.non_shared + entry.value_length + 8 != handle.size) return Status::OK();
  key->assign(input.substr(0, entry.non_shared));
  PutFixed64(key, entry.trailer);
  *found = true;
  return Status::OK();
}

Status ParseLargeEntryBlock(std::string_view block, std::string_view key, std::string_view* value) {
  BlockIterator it{BlockContents::View(block)};
  it.SeekToFirst();
  if (!it.status().ok()) return it.status();
  if (!it.Valid() || it.key() != key) {
    return Status::Corruption("sst: a large entry's block does not hold the key read first");
  }
  *value = it.value();
  it.Next();
  if (it.Valid() || !it.status().ok()) {
    return Status::Corruption("sst: a large entry's block holds more than one entry");
  }
  return Status::OK();
}

Status ReadLargeEntryValue(const RandomAccessFile& file, const BlockHandle& handle,
                           std::string_view key, std::string* value) {
  Status s = ReadBlock(file, handle, /*verify_checksum=*/true, value);
  std::string_view entry_value;
  if (s.ok()) s = ParseLargeEntryBlock(*value, key, &entry_value);
  if (!s.ok()) {
    value->clear();
    return s;
  }
  const auto offset = static_cast<std::size_t>(entry_value.data() - value->data());
  const std::size_t size = entry_value.size();
  value->resize(offset + size);
  value->erase(0, offset);
  return Status::OK();
}

LargeEntryIterator::LargeEntryIterator(std::string key, BlockReader read_block, bool checked_reads)
    : key_(std::move(key)), read_block_(std::move(read_block)), checked_reads_(checked_reads) {}

void LargeEntryIterator::Position(bool positioned) {
  // Leaving the entry: the block is checked once, value read or not, then
  // its memory goes.
  if (positioned_ && !positioned) {
    Load();
    if (status_.ok()) {
      loaded_ = false;  // positioned on it again, it reads the block again
      block_ = BlockContents();
      value_ = {};
    }
  }
  positioned_ = positioned;
}

std::string_view LargeEntryIterator::value() const {
  Load();
  return value_;
}

void LargeEntryIterator::Load() const {
  if (loaded_ || !status_.ok()) return;
  loaded_ = true;
  ARENAKV_SYNC_POINT("LargeEntryIterator::Load");
  Status s = read_block_(&block_);
  if (s.ok()) s = ParseLargeEntryBlock(block_.data(), key_, &value_);
  if (!s.ok()) {
    status_ = s;
    block_ = BlockContents();
    value_ = {};
  }
}

}  // namespace arenakv
