// SPDX-License-Identifier: Apache-2.0
// KeyHistoryGc: which versions of a user key a flush or compaction must keep.
//
// A reader at sequence S sees, for each user key, the newest version with
// sequence <= S. The readers that can still exist are the live snapshots and
// reads at the newest sequence, so the sequences that matter are
// s_1 < s_2 < ... < s_k (the live snapshots plus the newest sequence when the
// job started). They cut each key's history into stripes: stripe i holds the
// versions with s_(i-1) < sequence <= s_i. Every reader sees at most the
// newest version of a stripe, so:
//
//   - a version is dropped if a newer version of its key is in the same stripe;
//   - a tombstone in the first stripe (sequence <= s_1: every reader sees it
//     or something newer) is dropped too, with everything older, when no
//     deeper level may hold the key (the caller's `bottommost`): then nothing
//     is left for it to hide, and the key reads as absent without it.
//
// Entries must come in InternalKeyCompare order (for each user key, newest
// first), as a merging iterator yields them.
//
// Not thread-safe; one job drives one KeyHistoryGc. Owns a copy of the sequences.
#ifndef ARENAKV_MVCC_COMPACTION_KEY_HISTORY_GC_H_
#define ARENAKV_MVCC_COMPACTION_KEY_HISTORY_GC_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "arenakv/base/check.h"
#include "mvcc/util/dbformat.h"

namespace arenakv {

class KeyHistoryGc {
 public:
  // `sequences`: the live snapshots and the newest sequence, in any order,
  // at least one. `bottommost(user_key)`: true if no level below the job's
  // output may hold user_key; null means "never" (a flush).
  KeyHistoryGc(std::vector<SequenceNumber> sequences,
               std::function<bool(std::string_view)> bottommost)
      : sequences_(std::move(sequences)), bottommost_(std::move(bottommost)) {
    ARENAKV_DCHECK(!sequences_.empty());
    std::sort(sequences_.begin(), sequences_.end());
  }

  // True if the entry `key` (the next in order) must be written out.
  bool Keep(const ParsedInternalKey& key) {
    const std::size_t stripe = static_cast<std::size_t>(
        std::lower_bound(sequences_.begin(), sequences_.end(), key.sequence) - sequences_.begin());
    if (key.user_key != current_key_ || first_) {
      current_key_.assign(key.user_key);
      first_ = false;
      current_stripe_ = stripe;
    } else if (stripe == current_stripe_) {
      ++dropped_hidden_;  // a newer version in the same stripe hides it from every reader
      return false;
    } else {
      current_stripe_ = stripe;
    }
    if (key.kind == EntryKind::kDelete && stripe == 0 && Bottommost(key.user_key)) {
      ++dropped_tombstones_;  // the older versions fall in stripe 0 too and are dropped
      return false;
    }
    return true;
  }

  // True if every reader sees `sequence` or something newer: it is in the
  // first stripe.
  bool VisibleToAll(SequenceNumber sequence) const { return sequence <= sequences_.front(); }
  // True if no level below the job's output may hold user_key (never for a flush).
  bool Bottommost(std::string_view user_key) const {
    return bottommost_ != nullptr && bottommost_(user_key);
  }

  std::uint64_t dropped_hidden() const { return dropped_hidden_; }
  std::uint64_t dropped_tombstones() const { return dropped_tombstones_; }

 private:
  std::vector<SequenceNumber> sequences_;  // ascending
  std::function<bool(std::string_view)> bottommost_;
  std::string current_key_;
  bool first_ = true;
  std::size_t current_stripe_ = 0;
  std::uint64_t dropped_hidden_ = 0;
  std::uint64_t dropped_tombstones_ = 0;
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_COMPACTION_KEY_HISTORY_GC_H_
