// SPDX-License-Identifier: Apache-2.0
#include "mvcc/iter/merging_iterator.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "arenakv/base/check.h"
#include "mvcc/util/dbformat.h"

namespace arenakv {
namespace {

// The k-way merge. heap_ holds the valid children, ordered so that heap_[0] is
// the current entry: a min-heap on keys while moving forward, a max-heap while
// moving backward.
//
// Invariant (forward): every valid child is at its first entry >= key();
// (reverse): every valid child is at its last entry <= key(). A direction
// switch re-establishes the other invariant by repositioning every child but
// the current one strictly past key(), then moving the current one.
class MergingIterator final : public InternalIterator {
 public:
  explicit MergingIterator(std::vector<std::unique_ptr<InternalIterator>> children)
      : children_(std::move(children)) {
    heap_.reserve(children_.size());
    ARENAKV_DCHECK(std::none_of(children_.begin(), children_.end(),
                                [](const auto& child) { return child == nullptr; }));
  }

  bool Valid() const override { return !heap_.empty() && !child_error_; }

  void SeekToFirst() override {
    for (const auto& child : children_) child->SeekToFirst();
    Rebuild(Direction::kForward);
  }

  void SeekToLast() override {
    for (const auto& child : children_) child->SeekToLast();
    Rebuild(Direction::kReverse);
  }

  void Seek(std::string_view target) override {
    for (const auto& child : children_) child->Seek(target);
    Rebuild(Direction::kForward);
  }

  void SeekForPrev(std::string_view target) override {
    for (const auto& child : children_) child->SeekForPrev(target);
    Rebuild(Direction::kReverse);
  }

  void Next() override {
    ARENAKV_DCHECK(Valid());
    if (direction_ != Direction::kForward) {
      SwitchDirection(Direction::kForward);
      return;
    }
    heap_[0]->Next();
    FixTop();
  }

  void Prev() override {
    ARENAKV_DCHECK(Valid());
    if (direction_ != Direction::kReverse) {
      SwitchDirection(Direction::kReverse);
      return;
    }
    heap_[0]->Prev();
    FixTop();
  }

  std::string_view key() const override {
    ARENAKV_DCHECK(Valid());
    return heap_[0]->key();
  }

  std::string_view value() const override {
    ARENAKV_DCHECK(Valid());
    return heap_[0]->value();
  }

  Status status() const override {
    for (const auto& child : children_) {
      Status s = child->status();
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

 private:
  enum class Direction : std::uint8_t { kForward, kReverse };

  // True if `a` belongs above `b` in the heap (is returned before it).
  bool Above(InternalIterator* a, InternalIterator* b) const {
    const int r = InternalKeyCompareTotal(a->key(), b->key());
    return direction_ == Direction::kForward ? r < 0 : r > 0;
  }

  void SiftDown(std::size_t i) {
    const std::size_t n = heap_.size();
    InternalIterator* const moving = heap_[i];
    for (;;) {
      std::size_t best = 2 * i + 1;
      if (best >= n) break;
      if (best + 1 < n && Above(heap_[best + 1], heap_[best])) ++best;
      if (!Above(heap_[best], moving)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = moving;
  }

  // Puts every valid child in the heap for `direction` and notes whether an
  // invalid child reports an error.
  void Rebuild(Direction direction) {
    direction_ = direction;
    heap_.clear();
    child_error_ = false;
    for (const auto& child : children_) {
      if (child->Valid()) {
        heap_.push_back(child.get());
      } else if (!child->status().ok()) {
        child_error_ = true;
      }
    }
    for (std::size_t i = heap_.size() / 2; i-- > 0;) SiftDown(i);
  }

  // The top child has just moved: sift it down, or drop it if it ran out.
  void FixTop() {
    InternalIterator* const top = heap_[0];
    if (top->Valid()) {
      SiftDown(0);
      return;
    }
    if (!top->status().ok()) child_error_ = true;
    heap_[0] = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) SiftDown(0);
  }

  // One step in `direction` when the heap is ordered for the other one.
  // Children other than the current one go to their first entry > key()
  // (forward) or last entry < key() (reverse); the current child takes one
  // step; then the heap is rebuilt for the new direction. The current child
  // is moved last because `key` points into it.
  void SwitchDirection(Direction direction) {
    InternalIterator* const current = heap_[0];
    const std::string_view key = current->key();
    for (const auto& owned : children_) {
      InternalIterator* const child = owned.get();
      if (child == current) continue;
      if (direction == Direction::kForward) {
        child->Seek(key);
        if (child->Valid() && InternalKeyCompareTotal(child->key(), key) == 0) child->Next();
      } else {
        child->SeekForPrev(key);
        if (child->Valid() && InternalKeyCompareTotal(child->key(), key) == 0) child->Prev();
      }
    }
    if (direction == Direction::kForward)
      current->Next();
    else
      current->Prev();
    Rebuild(direction);
  }

  std::vector<std::unique_ptr<InternalIterator>> children_;
  std::vector<InternalIterator*> heap_;  // valid children only
  Direction direction_ = Direction::kForward;
  // Some invalid child reports an error; set by Rebuild and FixTop.
  bool child_error_ = false;
};

}  // namespace

std::unique_ptr<InternalIterator> NewMergingIterator(
    std::vector<std::unique_ptr<InternalIterator>> children) {
  if (children.size() == 1) return std::move(children[0]);
  return std::make_unique<MergingIterator>(std::move(children));
}

}  // namespace arenakv
