// SPDX-License-Identifier: Apache-2.0
#include "mvcc/iter/db_iter.h"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>

#include "arenakv/base/check.h"

namespace arenakv {
namespace {

// The state differs by direction:
//   forward: internal_ is at the entry that supplies key() and value() (the
//            newest entry of key() visible at snapshot_, a put); nothing is
//            copied.
//   reverse: internal_ is at the last entry before every entry of key(), or
//            off the front; key() and value() are copies in saved_key_ and
//            saved_value_.
class DBIter final : public Iterator {
 public:
  DBIter(std::unique_ptr<InternalIterator> internal, SequenceNumber snapshot,
         std::optional<std::string> lower_bound, std::optional<std::string> upper_bound)
      : internal_(std::move(internal)),
        snapshot_(std::min(snapshot, kMaxSequenceNumber)),
        lower_(std::move(lower_bound)),
        upper_(std::move(upper_bound)) {
    ARENAKV_DCHECK(internal_ != nullptr);
  }

  bool Valid() const override { return valid_; }

  void SeekToFirst() override {
    if (lower_.has_value()) {
      Seek(*lower_);
      return;
    }
    StartMove(Direction::kForward);
    internal_->SeekToFirst();
    FindNextVisible(/*skipping=*/false);
  }

  void SeekToLast() override {
    StartMove(Direction::kReverse);
    if (upper_.has_value()) {
      // The first possible entry of *upper_: everything before it is below.
      SetSeekKey(*upper_, kMaxSequenceNumber, kKindForSeek);
      internal_->SeekForPrev(seek_key_);
    } else {
      internal_->SeekToLast();
    }
    FindPrevVisible();
  }

  void Seek(std::string_view target) override {
    // `target` may point into saved_key_ or the internal key: copy it first.
    if (lower_.has_value() && target < *lower_) target = *lower_;
    SetSeekKey(target, snapshot_, kKindForSeek);
    StartMove(Direction::kForward);
    internal_->Seek(seek_key_);
    FindNextVisible(/*skipping=*/false);
  }

  void SeekForPrev(std::string_view target) override {
    if (upper_.has_value() && target >= *upper_) {
      SetSeekKey(*upper_, kMaxSequenceNumber, kKindForSeek);
    } else {
      // The last possible entry of target: sequence 0, the smallest kind.
      SetSeekKey(target, 0, EntryKind::kDelete);
    }
    StartMove(Direction::kReverse);
    internal_->SeekForPrev(seek_key_);
    FindPrevVisible();
  }

  void Next() override {
    ARENAKV_DCHECK(valid_);
    if (direction_ == Direction::kReverse) {
      // Step onto the first entry of saved_key_; FindNextVisible skips them all.
      direction_ = Direction::kForward;
      if (internal_->Valid()) {
        internal_->Next();
      } else {
        internal_->SeekToFirst();
      }
    } else {
      saved_key_.assign(ExtractUserKey(internal_->key()));
      internal_->Next();
    }
    FindNextVisible(/*skipping=*/true);
  }

  void Prev() override {
    ARENAKV_DCHECK(valid_);
    if (direction_ == Direction::kForward) {
      // Back up past every entry of the current key, the versions newer than
      // the snapshot included, to reach the reverse state.
      direction_ = Direction::kReverse;
      saved_key_.assign(ExtractUserKey(internal_->key()));
      for (;;) {
        internal_->Prev();
        if (!internal_->Valid()) break;
        ParsedInternalKey ikey;
        if (!ParseCurrent(&ikey)) return;
        if (ikey.user_key < saved_key_) break;
      }
    }
    FindPrevVisible();
  }

  std::string_view key() const override {
    ARENAKV_DCHECK(valid_);
    return direction_ == Direction::kForward ? ExtractUserKey(internal_->key())
                                             : std::string_view(saved_key_);
  }

  std::string_view value() const override {
    ARENAKV_DCHECK(valid_);
    return direction_ == Direction::kForward ? internal_->value() : std::string_view(saved_value_);
  }

  Status status() const override {
    if (!status_.ok()) return status_;
    return internal_->status();
  }

 private:
  enum class Direction : std::uint8_t { kForward, kReverse };

  void StartMove(Direction direction) {
    direction_ = direction;
    status_ = Status::OK();
  }

  void SetSeekKey(std::string_view user_key, SequenceNumber sequence, EntryKind kind) {
    seek_key_.clear();
    AppendInternalKey(&seek_key_, user_key, sequence, kind);
  }

  // Parses internal_->key(); on failure records Corruption and leaves the
  // iterator !Valid().
  bool ParseCurrent(ParsedInternalKey* out) {
    if (ParseInternalKey(internal_->key(), out)) return true;
    status_ = Status::Corruption("db iterator: malformed internal key");
    valid_ = false;
    return false;
  }

  // Forward from internal_'s position to the first entry that shows a key:
  // visible at snapshot_, the newest such entry of its user key, a put, below
  // upper_. With `skipping`, every entry of a user key <= saved_key_ is passed
  // over (the key just left, or one whose newest visible entry is a delete).
  void FindNextVisible(bool skipping) {
    valid_ = false;
    for (; internal_->Valid(); internal_->Next()) {
      ParsedInternalKey ikey;
      if (!ParseCurrent(&ikey)) return;
      if (upper_.has_value() && ikey.user_key >= *upper_) return;
      if (ikey.sequence > snapshot_) continue;
      if (skipping && ikey.user_key <= saved_key_) continue;
      if (ikey.kind == EntryKind::kDelete) {
        saved_key_.assign(ikey.user_key);
        skipping = true;
        continue;
      }
      valid_ = true;
      return;
    }
  }

  // Backward from internal_'s position. Entries of one user key come oldest
  // first in this direction, so the last visible entry seen for a key is its
  // newest; it is known to be final once an entry of a smaller key appears.
  // Stops there (the reverse state) or below lower_.
  void FindPrevVisible() {
    valid_ = false;
    bool have_put = false;  // saved_* hold the newest visible put seen so far
    for (; internal_->Valid(); internal_->Prev()) {
      ParsedInternalKey ikey;
      if (!ParseCurrent(&ikey)) return;
      if (have_put && ikey.user_key < saved_key_) break;
      if (lower_.has_value() && ikey.user_key < *lower_) break;
      if (upper_.has_value() && ikey.user_key >= *upper_) continue;
      if (ikey.sequence > snapshot_) continue;
      if (ikey.kind == EntryKind::kDelete) {
        have_put = false;
        continue;
      }
      saved_key_.assign(ikey.user_key);
      saved_value_.assign(internal_->value());
      have_put = true;
    }
    // Off the front because of an error: the candidate may be stale (newer
    // entries of its key were never read).
    if (!internal_->Valid() && !internal_->status().ok()) return;
    valid_ = have_put;
  }

  std::unique_ptr<InternalIterator> internal_;
  const SequenceNumber snapshot_;
  const std::optional<std::string> lower_;  // inclusive
  const std::optional<std::string> upper_;  // exclusive

  Direction direction_ = Direction::kForward;
  bool valid_ = false;
  Status status_;            // Corruption found by this iterator; cleared by seeks
  std::string saved_key_;    // reverse: key(); forward: the key being skipped
  std::string saved_value_;  // reverse: value()
  std::string seek_key_;     // scratch for the internal key of a seek
};

}  // namespace

std::unique_ptr<Iterator> NewDBIterator(std::unique_ptr<InternalIterator> internal,
                                        SequenceNumber snapshot,
                                        std::optional<std::string> lower_bound,
                                        std::optional<std::string> upper_bound) {
  return std::make_unique<DBIter>(std::move(internal), snapshot, std::move(lower_bound),
                                  std::move(upper_bound));
}

}  // namespace arenakv
