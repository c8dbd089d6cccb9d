// SPDX-License-Identifier: Apache-2.0
#include "mvcc/table/block_builder.h"

#include <algorithm>

#include "arenakv/base/check.h"
#include "mvcc/table/table_format.h"
#include "mvcc/util/coding.h"
#include "mvcc/util/dbformat.h"

namespace arenakv {

BlockBuilder::BlockBuilder(int restart_interval)
    : restart_interval_(std::max(restart_interval, 1)) {
  restarts_.push_back(0);
}

void BlockBuilder::Add(std::string_view key, std::string_view value) {
  ARENAKV_DCHECK(!finished_);
  ARENAKV_DCHECK(key.size() >= kTrailerSize);
  const std::string_view user_key = ExtractUserKey(key);
  std::size_t shared = 0;
  if (entries_since_restart_ < restart_interval_) {
    const std::size_t limit = std::min(last_user_key_.size(), user_key.size());
    while (shared < limit && last_user_key_[shared] == user_key[shared]) ++shared;
  } else {
    restarts_.push_back(static_cast<std::uint32_t>(buffer_.size()));
    entries_since_restart_ = 0;
  }
  const std::string_view suffix = user_key.substr(shared);
  // Header varints, key suffix, value; then the restart array of Finish().
  const std::size_t need = buffer_.size() + kMaxEntryHeaderSize + suffix.size() + value.size() +
                           (restarts_.size() + 1) * 4;
  if (need > buffer_.capacity()) buffer_.reserve(std::max(need, 2 * buffer_.capacity()));
  PutEntryHeader({.shared = static_cast<std::uint32_t>(shared),
                  .non_shared = static_cast<std::uint32_t>(suffix.size()),
                  .value_length = static_cast<std::uint32_t>(value.size()),
                  .trailer = ExtractTrailer(key)},
                 &buffer_);
  buffer_.append(suffix);
  buffer_.append(value);

  last_user_key_.resize(shared);
  last_user_key_.append(suffix);
  ++entries_since_restart_;
  ++num_entries_;
}

std::string_view BlockBuilder::Finish() {
  if (!finished_) {
    for (const std::uint32_t restart : restarts_) PutFixed32(&buffer_, restart);
    PutFixed32(&buffer_, static_cast<std::uint32_t>(restarts_.size()));
    finished_ = true;
  }
  return buffer_;
}

void BlockBuilder::Reset() {
  if (buffer_.capacity() > kKeptCapacity) std::string().swap(buffer_);
  buffer_.clear();
  restarts_.clear();
  restarts_.push_back(0);
  entries_since_restart_ = 0;
  num_entries_ = 0;
  last_user_key_.clear();
  finished_ = false;
}

std::size_t BlockBuilder::CurrentSizeEstimate() const {
  if (finished_) return buffer_.size();
  return buffer_.size() + restarts_.size() * 4 + 4;
}

}  // namespace arenakv
