// SPDX-License-Identifier: Apache-2.0
// VectorIterator: a test InternalIterator over an in-memory list of
// (internal key, value) pairs, with an optional injected error and a count of
// the moves made on it.
//
// The entries are sorted in the constructor by InternalKeyCompare, extended
// so that keys shorter than a trailer (deliberately corrupt test data) sort
// safely: such a key counts as its own user key and comes before every
// well-formed entry of that user key.
//
// Errors: after FailAfter(n, error), the first n moves behave normally and
// every later move leaves the iterator !Valid() with status() == error.
//
// Not thread-safe. The iterator owns its entries; key() and value() point
// into them and stay valid for the iterator's life. A move counter set with
// CountMovesIn must outlive the iterator.
#ifndef ARENAKV_TESTS_MVCC_ITER_VECTOR_ITERATOR_H_
#define ARENAKV_TESTS_MVCC_ITER_VECTOR_ITERATOR_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mvcc/iter/internal_iterator.h"
#include "mvcc/util/dbformat.h"

namespace arenakv {

class VectorIterator final : public InternalIterator {
 public:
  using Entries = std::vector<std::pair<std::string, std::string>>;

  explicit VectorIterator(Entries entries) : entries_(std::move(entries)) {
    std::stable_sort(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
      return InternalKeyCompareTotal(a.first, b.first) < 0;
    });
  }

  void FailAfter(std::size_t moves, Status error) {
    fail_after_ = moves;
    error_ = std::move(error);
  }
  void CountMovesIn(std::uint64_t* counter) { move_counter_ = counter; }

  bool Valid() const override { return pos_ < entries_.size() && status_.ok(); }

  void SeekToFirst() override {
    if (Move()) pos_ = 0;
  }
  void SeekToLast() override {
    if (Move()) pos_ = entries_.empty() ? kInvalid : entries_.size() - 1;
  }
  void Seek(std::string_view target) override {
    if (!Move()) return;
    pos_ = FirstAtOrAfter(target);
  }
  void SeekForPrev(std::string_view target) override {
    if (!Move()) return;
    std::size_t i = FirstAtOrAfter(target);
    if (i < entries_.size() && InternalKeyCompareTotal(entries_[i].first, target) == 0) {
      pos_ = i;
    } else {
      pos_ = i == 0 ? kInvalid : i - 1;
    }
  }
  void Next() override {
    if (!Move()) return;
    ++pos_;
  }
  void Prev() override {
    if (!Move()) return;
    pos_ = pos_ == 0 ? kInvalid : pos_ - 1;
  }
  std::string_view key() const override { return entries_[pos_].first; }
  std::string_view value() const override { return entries_[pos_].second; }
  Status status() const override { return status_; }

 private:
  static constexpr std::size_t kInvalid = SIZE_MAX;

  // Counts a move; false (and the iterator failed) once the budget is spent.
  bool Move() {
    if (move_counter_ != nullptr) ++*move_counter_;
    ++moves_;
    if (fail_after_.has_value() && moves_ > *fail_after_) {
      status_ = error_;
      pos_ = kInvalid;
      return false;
    }
    return true;
  }

  std::size_t FirstAtOrAfter(std::string_view target) const {
    const auto it = std::lower_bound(entries_.begin(), entries_.end(), target,
                                     [](const auto& entry, std::string_view t) {
                                       return InternalKeyCompareTotal(entry.first, t) < 0;
                                     });
    return static_cast<std::size_t>(it - entries_.begin());
  }

  Entries entries_;
  std::size_t pos_ = kInvalid;  // kInvalid, or an index; entries_.size() is past the end
  std::size_t moves_ = 0;
  std::optional<std::size_t> fail_after_;
  Status error_;
  Status status_;
  std::uint64_t* move_counter_ = nullptr;
};

}  // namespace arenakv

#endif  // ARENAKV_TESTS_MVCC_ITER_VECTOR_ITERATOR_H_
