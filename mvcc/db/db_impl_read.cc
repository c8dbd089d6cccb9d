// SPDX-License-Identifier: Apache-2.0
// DBImpl's read path: Get, NewIterator and snapshots. The class comment is
// in mvcc/db/db_impl.h.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "arenakv/base/check.h"
#include "mvcc/db/db_impl.h"
#include "mvcc/env/filename.h"
#include "mvcc/iter/db_iter.h"
#include "mvcc/iter/merging_iterator.h"
#include "mvcc/memtable/memtable_iterator.h"
#include "mvcc/version/level_iterator.h"

namespace arenakv {

namespace {

class SnapshotImpl final : public Snapshot {
 public:
  explicit SnapshotImpl(SequenceNumber sequence) : Snapshot(sequence) {}
};

// A DB iterator that keeps its read view (memtables, files) alive.
class ViewIterator final : public Iterator {
 public:
  ViewIterator(std::shared_ptr<const ReadView> view, std::unique_ptr<Iterator> inner)
      : view_(std::move(view)), inner_(std::move(inner)) {}
  bool Valid() const override { return inner_->Valid(); }
  void SeekToFirst() override { inner_->SeekToFirst(); }
  void SeekToLast() override { inner_->SeekToLast(); }
  void Seek(std::string_view target) override { inner_->Seek(target); }
  void SeekForPrev(std::string_view target) override { inner_->SeekForPrev(target); }
  void Next() override { inner_->Next(); }
  void Prev() override { inner_->Prev(); }
  std::string_view key() const override { return inner_->key(); }
  std::string_view value() const override { return inner_->value(); }
  Status status() const override { return inner_->status(); }

 private:
  std::shared_ptr<const ReadView> view_;  // declared first: outlives inner_
  std::unique_ptr<Iterator> inner_;
};

// A DB iterator that moves to the newest view at its next repositioning
// call once a newer one was installed (ReadOptions::auto_refresh_iterator),
// always reading at the sequence it pinned when it was created. A newer view
// holds every write that sequence covers (a flush's memtable leaves a view
// only with the version that holds its output), and no job that started
// after the pin dropped a version the sequence sees (DBImpl::PinSequence).
// Refreshing only before a Seek*/SeekTo* keeps Next and Prev on one view.
class RefreshingIterator final : public Iterator {
 public:
  RefreshingIterator(DBImpl* db, const ReadOptions& options)
      : pin_(db, options),
        verify_checksums_(options.verify_checksums),
        lower_bound_(options.lower_bound),
        upper_bound_(options.upper_bound) {
    Rebuild();
  }
  // The view goes to the DB to drop (it may be the last holder of flushed
  // memtables and compacted files); the pin goes last (a member).
  ~RefreshingIterator() override {
    inner_.reset();
    pin_.db->RetireView(std::move(view_));
  }
  RefreshingIterator(const RefreshingIterator&) = delete;
  RefreshingIterator& operator=(const RefreshingIterator&) = delete;

  bool Valid() const override { return inner_->Valid(); }
  void SeekToFirst() override {
    MaybeRefresh();
    inner_->SeekToFirst();
  }
  void SeekToLast() override {
    MaybeRefresh();
    inner_->SeekToLast();
  }
  void Seek(std::string_view target) override {
    MaybeRefresh();
    inner_->Seek(target);
  }
  void SeekForPrev(std::string_view target) override {
    MaybeRefresh();
    inner_->SeekForPrev(target);
  }
  void Next() override { inner_->Next(); }
  void Prev() override { inner_->Prev(); }
  std::string_view key() const override { return inner_->key(); }
  std::string_view value() const override { return inner_->value(); }
  Status status() const override { return inner_->status(); }

 private:
  // The read's sequence, pinned for the iterator's life (also when the
  // constructor throws after pinning).
  struct SequencePin {
    SequencePin(DBImpl* db, const ReadOptions& options)
        : db(db), sequence(db->PinSequence(options)) {}
    ~SequencePin() { db->UnpinSequence(sequence); }
    SequencePin(const SequencePin&) = delete;
    SequencePin& operator=(const SequencePin&) = delete;
    DBImpl* const db;
    const SequenceNumber sequence;
  };

  void MaybeRefresh() {
    if (pin_.db->view_generation() == generation_) return;
    Rebuild();
    pin_.db->CountIteratorRefresh();
  }
  void Rebuild() {
    inner_.reset();  // before the view it reads
    pin_.db->RetireView(std::exchange(view_, nullptr));
    view_ = pin_.db->CurrentView(&generation_);
    inner_ = NewDBIterator(DBImpl::NewInternalIteratorOver(*view_, verify_checksums_),
                           pin_.sequence, lower_bound_, upper_bound_);
  }

  const SequencePin pin_;  // first: outlives the view and the iterator
  const bool verify_checksums_;
  const std::optional<std::string> lower_bound_;
  const std::optional<std::string> upper_bound_;
  std::uint64_t generation_ = 0;          // view_'s
  std::shared_ptr<const ReadView> view_;  // keeps what inner_ reads alive
  std::unique_ptr<Iterator> inner_;
};

}  // namespace

Status DBImpl::Get(const ReadOptions& options, std::string_view key, std::string* value) {
  if (value == nullptr) return Status::InvalidArgument("null value");
  SequenceNumber sequence = 0;
  const std::shared_ptr<const ReadView> v = ViewAt(options, &sequence);
  auto from_memtable = [&](const MemTableRef& mem, Status* s) {
    switch (mem->Get(key, sequence, value)) {
      case MemTable::LookupResult::kFound:
        *s = Status::OK();
        return true;
      case MemTable::LookupResult::kDeleted:
        *s = Status::NotFound();
        return true;
      case MemTable::LookupResult::kNotPresent:
        return false;
    }
    return false;
  };
  Status s;
  if (from_memtable(v->mem, &s)) return s;
  for (const MemTableRef& mem : v->imm) {
    if (from_memtable(mem, &s)) return s;
  }
  // Tables: level 0 newest first (its files overlap), then at most one file
  // per deeper level, each level older than the one above it.
  auto from_table = [&](const TableFile& f, Status* s) {
    std::shared_ptr<const Table> holder;
    const Table* table = nullptr;
    *s = f.Reader(&holder, &table);
    if (!s->ok()) return true;
    Table::GetResult result;
    *s = table->Get(key, sequence, options.verify_checksums, &result, value);
    if (!s->ok()) return true;
    if (result == Table::GetResult::kDeleted) *s = Status::NotFound();
    return result != Table::GetResult::kNotPresent;
  };
  for (const TableFileRef& f : v->version->levels[0]) {
    if (key < SmallestUserKey(*f) || key > LargestUserKey(*f)) continue;
    if (from_table(*f, &s)) return s;
  }
  for (int level = 1; level < kNumLevels; ++level) {
    const TableFile* f = v->version->FileForKey(level, key);
    if (f != nullptr && from_table(*f, &s)) return s;
  }
  return Status::NotFound();
}

std::unique_ptr<Iterator> DBImpl::NewIterator(const ReadOptions& options) {
  if (options.auto_refresh_iterator) return std::make_unique<RefreshingIterator>(this, options);
  SequenceNumber sequence = 0;
  std::shared_ptr<const ReadView> v;
  std::unique_ptr<InternalIterator> source = NewInternalIterator(options, &sequence, &v);
  auto inner = NewDBIterator(std::move(source), sequence, options.lower_bound, options.upper_bound);
  return std::make_unique<ViewIterator>(std::move(v), std::move(inner));
}

std::unique_ptr<InternalIterator> DBImpl::NewInternalIterator(
    const ReadOptions& options, SequenceNumber* sequence, std::shared_ptr<const ReadView>* view) {
  std::shared_ptr<const ReadView> v = ViewAt(options, sequence);
  std::unique_ptr<InternalIterator> merged = NewInternalIteratorOver(*v, options.verify_checksums);
  *view = std::move(v);
  return merged;
}

std::unique_ptr<InternalIterator> DBImpl::NewInternalIteratorOver(const ReadView& view,
                                                                  bool verify_checksums) {
  std::vector<std::unique_ptr<InternalIterator>> children;
  children.push_back(NewMemTableIterator(view.mem));
  for (const MemTableRef& mem : view.imm) children.push_back(NewMemTableIterator(mem));
  for (const TableFileRef& f : view.version->levels[0]) {
    children.push_back(f->NewIterator(verify_checksums));
  }
  for (int level = 1; level < kNumLevels; ++level) {
    if (view.version->levels[level].empty()) continue;
    children.push_back(NewLevelIterator(view.version->levels[level], verify_checksums));
  }
  return NewMergingIterator(std::move(children));
}

Status DBImpl::VerifyChecksum() {
  const VersionRef version = view()->version;  // keeps every file alive
  for (const auto& level : version->levels) {
    for (const TableFileRef& f : level) {
      std::shared_ptr<const Table> holder;
      const Table* table = nullptr;
      Status s = f->Reader(&holder, &table);
      if (!s.ok()) return s;  // names the file already
      s = table->VerifyAll();
      if (!s.ok()) {
        return s.IsCorruption()
                   ? Status::Corruption(TableFileName(path_, f->meta().number) + ": " + s.message())
                   : s;
      }
    }
  }
  return Status::OK();
}

SequenceNumber DBImpl::PinSequence(const ReadOptions& options) {
  MutexLock lock(&pins_mu_);
  const SequenceNumber sequence = options.snapshot != nullptr
                                      ? options.snapshot->sequence()
                                      : last_sequence_.load(std::memory_order_acquire);
  iterator_pins_.insert(sequence);
  return sequence;
}

void DBImpl::UnpinSequence(SequenceNumber sequence) {
  MutexLock lock(&pins_mu_);
  auto it = iterator_pins_.find(sequence);
  ARENAKV_DCHECK(it != iterator_pins_.end());
  if (it != iterator_pins_.end()) iterator_pins_.erase(it);
}

const Snapshot* DBImpl::GetSnapshot() {
  MutexLock lock(&mu_);
  const SequenceNumber sequence = last_sequence_.load(std::memory_order_acquire);
  snapshots_.insert(sequence);
  return new SnapshotImpl(sequence);
}

void DBImpl::ReleaseSnapshot(const Snapshot* snapshot) {
  if (snapshot == nullptr) return;
  {
    MutexLock lock(&mu_);
    auto it = snapshots_.find(snapshot->sequence());
    if (it != snapshots_.end()) snapshots_.erase(it);
  }
  delete static_cast<const SnapshotImpl*>(snapshot);
}

}  // namespace arenakv
