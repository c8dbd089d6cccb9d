// SPDX-License-Identifier: Apache-2.0
// TransactionIterator: what Transaction::NewIterator returns. It keeps the
// read view (memtables, files) under its inner DB iterator alive and, under
// kSerializable, records into the transaction's ReadSet the key range it
// has passed over, for Commit to validate.
//
// The range recorded is the convex hull of every stretch of keys a move
// looked at: a seek covers its target up to where it lands, a Next or Prev
// from the key it left to the key it reaches, and a move that runs off an
// end covers everything to that end (the iterator's bound, or the end of the
// key space). Gaps are included: a key inserted into a gap is a phantom.
//
// Thread safety: one thread at a time (the transaction's). The ReadSet is
// shared with the transaction, so either may be destroyed first.
#ifndef ARENAKV_MVCC_TXN_TRANSACTION_ITERATOR_H_
#define ARENAKV_MVCC_TXN_TRANSACTION_ITERATOR_H_

#include <arenakv/mvcc/db.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "mvcc/db/db_impl.h"
#include "mvcc/txn/read_set.h"

namespace arenakv {

class TransactionIterator final : public Iterator {
 public:
  // reads: null, or the ReadSet to record into (a range is added to it).
  TransactionIterator(std::shared_ptr<const ReadView> view, std::unique_ptr<Iterator> inner,
                      std::shared_ptr<ReadSet> reads, const ReadOptions& options);

  bool Valid() const override { return inner_->Valid(); }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Seek(std::string_view target) override;
  void SeekForPrev(std::string_view target) override;
  void Next() override;
  void Prev() override;
  std::string_view key() const override { return inner_->key(); }
  std::string_view value() const override { return inner_->value(); }
  Status status() const override { return inner_->status(); }

 private:
  // Records [from, to]; nullopt is the lower (from) or upper (to) end.
  void Cover(std::optional<std::string_view> from, std::optional<std::string_view> to);
  std::optional<std::string_view> Here() const {
    return inner_->Valid() ? std::optional<std::string_view>(inner_->key()) : std::nullopt;
  }

  std::shared_ptr<const ReadView> view_;  // declared first: outlives inner_
  std::unique_ptr<Iterator> inner_;
  std::shared_ptr<ReadSet> reads_;
  std::size_t slot_ = 0;  // reads_->ranges[slot_] is this iterator's
  std::optional<std::string> lower_bound_, upper_bound_;
  std::string left_;    // the key a Next or Prev leaves
  std::string target_;  // a seek's target, copied before the move
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_TXN_TRANSACTION_ITERATOR_H_
