// SPDX-License-Identifier: Apache-2.0
#include "mvcc/table/block.h"

#include <utility>

#include "arenakv/base/check.h"
#include "mvcc/table/table_format.h"
#include "mvcc/util/coding.h"
#include "mvcc/util/dbformat.h"

namespace arenakv {

BlockContents BlockContents::View(std::string_view data) {
  BlockContents contents;
  contents.data_ = data;
  return contents;
}

BlockContents BlockContents::Owned(std::string data) {
  BlockContents contents;
  contents.owned_ = std::move(data);
  contents.is_owned_ = true;
  contents.data_ = contents.owned_;
  return contents;
}

BlockContents BlockContents::Pinned(BlockCache* cache, BlockCache::Handle* handle) {
  BlockContents contents;
  contents.cache_ = cache;
  contents.handle_ = handle;
  contents.data_ = BlockCache::Value(handle);
  return contents;
}

BlockContents::BlockContents(BlockContents&& other) noexcept { *this = std::move(other); }

BlockContents& BlockContents::operator=(BlockContents&& other) noexcept {
  if (this == &other) return *this;
  Clear();
  // A moved std::string may keep short contents inline, so the view is
  // re-pointed at our own copy rather than carried over.
  owned_ = std::move(other.owned_);
  is_owned_ = other.is_owned_;
  cache_ = other.cache_;
  handle_ = other.handle_;
  data_ = is_owned_ ? std::string_view(owned_) : other.data_;
  other.is_owned_ = false;
  other.cache_ = nullptr;
  other.handle_ = nullptr;
  other.owned_.clear();
  other.data_ = {};
  return *this;
}

BlockContents::~BlockContents() { Clear(); }

void BlockContents::Clear() {
  if (handle_ != nullptr) cache_->Release(handle_);
  handle_ = nullptr;
  cache_ = nullptr;
  owned_.clear();
  is_owned_ = false;
  data_ = {};
}

Status ParseBlockLayout(std::string_view block, BlockLayout* layout) {
  if (block.size() < 4) return Status::Corruption("sst block: shorter than its restart count");
  // Offsets are fixed32, so a block can never be larger than 4 GiB.
  if (block.size() > UINT32_MAX) return Status::Corruption("sst block: larger than 4 GiB");
  const std::uint32_t num_restarts = DecodeFixed32(block.data() + block.size() - 4);
  const std::size_t max_restarts = (block.size() - 4) / 4;
  if (num_restarts > max_restarts) {
    return Status::Corruption("sst block: restart array larger than the block");
  }
  const auto restarts_offset =
      static_cast<std::uint32_t>(block.size() - 4 - std::size_t{num_restarts} * 4);
  if (restarts_offset > 0 && num_restarts == 0) {
    return Status::Corruption("sst block: entries without a restart point");
  }
  layout->restarts_offset = restarts_offset;
  layout->num_restarts = num_restarts;
  return Status::OK();
}

BlockIterator::BlockIterator(BlockContents contents)
    : contents_(std::move(contents)), data_(contents_.data()) {
  status_ = ParseBlockLayout(data_, &layout_);
  if (!status_.ok()) layout_ = BlockLayout{};
  current_ = layout_.restarts_offset;
  next_ = layout_.restarts_offset;
}

void BlockIterator::MarkInvalid() {
  current_ = layout_.restarts_offset;
  next_ = layout_.restarts_offset;
  key_.clear();
  value_ = {};
}

void BlockIterator::MarkCorrupt(std::string_view why) {
  if (status_.ok()) status_ = Status::Corruption(why);
  // From now on the iterator is never Valid(): positioning calls check Usable().
  layout_.restarts_offset = 0;
  MarkInvalid();
}

bool BlockIterator::Usable() {
  if (!status_.ok() || layout_.restarts_offset == 0) {
    MarkInvalid();
    return false;
  }
  return true;
}

bool BlockIterator::RestartPoint(std::uint32_t index, std::uint32_t* offset) {
  ARENAKV_DCHECK(index < layout_.num_restarts);
  *offset = DecodeFixed32(data_.data() + layout_.restarts_offset + std::size_t{index} * 4);
  if (*offset >= layout_.restarts_offset) {
    MarkCorrupt("sst block: restart offset past the entries");
    return false;
  }
  return true;
}

bool BlockIterator::SeekToRestart(std::uint32_t index) {
  std::uint32_t offset = 0;
  if (!RestartPoint(index, &offset)) return false;
  key_.clear();
  value_ = {};
  restart_index_ = index;
  next_ = offset;
  return true;
}

namespace {

// The header of the entry at `offset`, and where its user-key suffix starts.
// False if a varint is malformed or the header or the bytes it announces run
// past `limit`.
bool DecodeEntryHeader(std::string_view data, std::uint32_t offset, std::uint32_t limit,
                       EntryHeader* header, std::uint32_t* suffix_offset) {
  std::string_view input = data.substr(offset, limit - offset);
  const std::size_t before = input.size();
  if (!GetEntryHeader(&input, header)) return false;
  if (std::uint64_t{header->non_shared} + header->value_length > input.size()) return false;
  *suffix_offset = offset + static_cast<std::uint32_t>(before - input.size());
  return true;
}

// InternalKeyCompare of the internal key (user_key, trailer) with `target`,
// without building the former.
int CompareInternalKey(std::string_view user_key, std::uint64_t trailer, std::string_view target) {
  const int r = user_key.compare(ExtractUserKey(target));
  if (r != 0) return r < 0 ? -1 : 1;
  const std::uint64_t target_trailer = ExtractTrailer(target);
  return trailer > target_trailer ? -1 : (trailer < target_trailer ? 1 : 0);
}

}  // namespace

bool BlockIterator::ParseNextEntry() {
  current_ = next_;
  if (current_ >= layout_.restarts_offset) {
    MarkInvalid();
    return false;
  }
  EntryHeader header;
  std::uint32_t suffix = 0;
  if (!DecodeEntryHeader(data_, current_, layout_.restarts_offset, &header, &suffix)) {
    MarkCorrupt("sst block: entry runs past the entries");
    return false;
  }
  ARENAKV_DCHECK(key_.empty() || key_.size() >= kTrailerSize);
  const std::size_t previous_user_key = key_.empty() ? 0 : key_.size() - kTrailerSize;
  if (header.shared > previous_user_key) {
    MarkCorrupt("sst block: entry shares more bytes than the previous user key has");
    return false;
  }
  key_.resize(header.shared);
  key_.append(data_.substr(suffix, header.non_shared));
  PutFixed64(&key_, header.trailer);
  value_ = data_.substr(suffix + header.non_shared, header.value_length);
  next_ = suffix + header.non_shared + header.value_length;
  // Move restart_index_ to the last restart at or before current_.
  while (restart_index_ + 1 < layout_.num_restarts) {
    std::uint32_t offset = 0;
    if (!RestartPoint(restart_index_ + 1, &offset)) return false;
    if (offset > current_) break;
    ++restart_index_;
  }
  return true;
}

bool BlockIterator::RestartKey(std::uint32_t index, std::string_view* user_key,
                               std::uint64_t* trailer) {
  std::uint32_t offset = 0;
  if (!RestartPoint(index, &offset)) return false;
  EntryHeader header;
  std::uint32_t suffix = 0;
  if (!DecodeEntryHeader(data_, offset, layout_.restarts_offset, &header, &suffix) ||
      header.shared != 0) {
    MarkCorrupt("sst block: bad entry at a restart point");
    return false;
  }
  *user_key = data_.substr(suffix, header.non_shared);
  *trailer = header.trailer;
  return true;
}

void BlockIterator::SeekToFirst() {
  if (!Usable()) return;
  if (SeekToRestart(0)) ParseNextEntry();
}

void BlockIterator::SeekToLast() {
  if (!Usable()) return;
  if (!SeekToRestart(layout_.num_restarts - 1)) return;
  while (ParseNextEntry() && next_ < layout_.restarts_offset) {
  }
}

void BlockIterator::Seek(std::string_view target) {
  ARENAKV_DCHECK(target.size() >= kTrailerSize);
  if (!Usable()) return;
  // The last restart point whose key is < target (or restart 0): the first
  // entry >= target lies in its run or at the start of the next one.
  std::uint32_t left = 0;
  std::uint32_t right = layout_.num_restarts - 1;
  while (left < right) {
    const std::uint32_t mid = left + (right - left + 1) / 2;
    std::string_view mid_user_key;
    std::uint64_t mid_trailer = 0;
    if (!RestartKey(mid, &mid_user_key, &mid_trailer)) return;
    if (CompareInternalKey(mid_user_key, mid_trailer, target) < 0) {
      left = mid;
    } else {
      right = mid - 1;
    }
  }
  if (!SeekToRestart(left)) return;
  while (ParseNextEntry()) {
    if (InternalKeyCompare(key_, target) >= 0) return;
  }
}

void BlockIterator::SeekForPrev(std::string_view target) {
  Seek(target);
  if (!status_.ok()) return;
  if (!Valid()) {
    SeekToLast();
  } else if (InternalKeyCompare(key_, target) > 0) {
    Prev();
  }
}

void BlockIterator::Next() {
  ARENAKV_DCHECK(Valid());
  ParseNextEntry();
}

void BlockIterator::Prev() {
  ARENAKV_DCHECK(Valid());
  const std::uint32_t original = current_;
  // Back up to a restart point strictly before the current entry.
  while (true) {
    std::uint32_t offset = 0;
    if (!RestartPoint(restart_index_, &offset)) return;
    if (offset < original) break;
    if (restart_index_ == 0) {  // the current entry is the first one
      MarkInvalid();
      return;
    }
    --restart_index_;
  }
  if (!SeekToRestart(restart_index_)) return;
  // Decode forward to the entry that ends where the original one starts.
  do {
    if (!ParseNextEntry()) {
      if (status_.ok()) MarkCorrupt("sst block: restart run overruns the current entry");
      return;
    }
  } while (next_ < original);
  if (next_ != original) MarkCorrupt("sst block: entries do not chain from a restart point");
}

}  // namespace arenakv
