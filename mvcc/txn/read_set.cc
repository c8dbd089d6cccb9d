// SPDX-License-Identifier: Apache-2.0
#include "mvcc/txn/read_set.h"

#include <algorithm>
#include <string_view>
#include <utility>

namespace arenakv {

namespace {

Status Conflict() {
  return Status::Busy(
      "transaction conflict: a key it validates was written after the transaction began");
}

// The entry at `source`'s position, parsed (false: a malformed key).
bool Parse(const InternalIterator& source, ParsedInternalKey* key) {
  return ParseInternalKey(source.key(), key);
}

}  // namespace

void KeyRange::Cover(std::optional<std::string_view> from, std::optional<std::string_view> to) {
  if (!covered) {
    covered = true;
    if (from) first.emplace(*from);
    if (to) last.emplace(*to);
    return;
  }
  // nullopt is -infinity for `first` and +infinity for `last`.
  if (first && (!from || *from < *first)) {
    if (from) {
      first->assign(*from);
    } else {
      first.reset();
    }
  }
  if (last && (!to || *to > *last)) {
    if (to) {
      last->assign(*to);
    } else {
      last.reset();
    }
  }
}

Status CheckConflicts(InternalIterator* source, std::vector<std::string> keys,
                      const std::vector<KeyRange>& ranges, SequenceNumber snapshot) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  ParsedInternalKey entry;
  for (const std::string& key : keys) {
    // Internal keys sort a user key's versions newest first: the first entry
    // at or after (key, newest) is the key's newest version, if it has one.
    source->Seek(InternalKey(key, kMaxSequenceNumber, kKindForSeek));
    if (!source->Valid()) {
      if (!source->status().ok()) return source->status();
      continue;
    }
    if (!Parse(*source, &entry)) return Status::Corruption("malformed internal key");
    if (entry.user_key == key && entry.sequence > snapshot) return Conflict();
  }
  for (const KeyRange& range : ranges) {
    if (!range.covered) continue;
    if (range.first) {
      source->Seek(InternalKey(*range.first, kMaxSequenceNumber, kKindForSeek));
    } else {
      source->SeekToFirst();
    }
    for (; source->Valid(); source->Next()) {
      if (!Parse(*source, &entry)) return Status::Corruption("malformed internal key");
      if (range.last && entry.user_key > std::string_view(*range.last)) break;
      if (entry.sequence > snapshot) return Conflict();
    }
    if (!source->status().ok()) return source->status();
  }
  return Status::OK();
}

}  // namespace arenakv
