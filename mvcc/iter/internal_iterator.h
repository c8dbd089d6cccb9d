// SPDX-License-Identifier: Apache-2.0
// InternalIterator: the cursor every engine source offers (memtable, SST
// block, SST file, merged view), over internal keys (mvcc/util/dbformat.h) in
// InternalKeyCompare order. DB-level iterators are built by merging these.
//
// Not thread-safe: one thread uses an iterator at a time. key() and value()
// stay valid until the next move or until the iterator is destroyed.
// An iterator that meets an error (I/O, corruption) becomes !Valid() and
// reports it through status(). That includes value() on an iterator that
// reads values only when asked (a table iterator reading large entries key
// first): a failed read gives an empty view and makes it !Valid().
#ifndef ARENAKV_MVCC_ITER_INTERNAL_ITERATOR_H_
#define ARENAKV_MVCC_ITER_INTERNAL_ITERATOR_H_

#include <arenakv/mvcc/status.h>

#include <memory>
#include <string_view>
#include <utility>

namespace arenakv {

class InternalIterator {
 public:
  virtual ~InternalIterator() = default;

  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // First entry with internal key >= target.
  virtual void Seek(std::string_view target) = 0;
  // Last entry with internal key <= target.
  virtual void SeekForPrev(std::string_view target) = 0;
  // Require Valid().
  virtual void Next() = 0;
  virtual void Prev() = 0;
  virtual std::string_view key() const = 0;  // internal key
  virtual std::string_view value() const = 0;
  virtual Status status() const = 0;
};

// An empty iterator whose status() is `status`: what a source that could not
// be opened (a table file that fails to open) offers in its place.
class ErrorIterator final : public InternalIterator {
 public:
  explicit ErrorIterator(Status status) : status_(std::move(status)) {}
  bool Valid() const override { return false; }
  void SeekToFirst() override {}
  void SeekToLast() override {}
  void Seek(std::string_view) override {}
  void SeekForPrev(std::string_view) override {}
  void Next() override {}
  void Prev() override {}
  std::string_view key() const override { return {}; }
  std::string_view value() const override { return {}; }
  Status status() const override { return status_; }

 private:
  const Status status_;
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_ITER_INTERNAL_ITERATOR_H_
