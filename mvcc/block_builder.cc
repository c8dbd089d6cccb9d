#include "mvcc/block_builder.h"

#include <algorithm>

#include "alloc/check.h"
#include "mvcc/coding.h"

namespace arenakv {

BlockBuilder::BlockBuilder(int restart_interval)
    : restart_interval_(std::max(restart_interval, 1)) {
  restarts_.push_back(0);
}

void BlockBuilder::Add(std::string_view key, std::string_view value) {
  ARENAKV_DCHECK(!finished_);
  std::size_t shared = 0;
  if (entries_since_restart_ < restart_interval_) {
    const std::size_t limit = std::min(last_key_.size(), key.size());
    while (shared < limit && last_key_[shared] == key[shared]) ++shared;
  } else {
    restarts_.push_back(static_cast<std::uint32_t>(buffer_.size()));
    entries_since_restart_ = 0;
  }
  const std::size_t non_shared = key.size() - shared;
  PutVarint32(&buffer_, static_cast<std::uint32_t>(shared));
  PutVarint32(&buffer_, static_cast<std::uint32_t>(non_shared));
  PutVarint32(&buffer_, static_cast<std::uint32_t>(value.size()));
  buffer_.append(key.substr(shared));
  buffer_.append(value);

  last_key_.resize(shared);
  last_key_.append(key.substr(shared));
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
  buffer_.clear();
  restarts_.clear();
  restarts_.push_back(0);
  entries_since_restart_ = 0;
  num_entries_ = 0;
  last_key_.clear();
  finished_ = false;
}

std::size_t BlockBuilder::CurrentSizeEstimate() const {
  if (finished_) return buffer_.size();
  return buffer_.size() + restarts_.size() * 4 + 4;
}

}  // namespace arenakv
