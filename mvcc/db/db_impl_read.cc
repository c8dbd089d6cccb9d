// SPDX-License-Identifier: Apache-2.0
// DBImpl's read path: Get, NewIterator and snapshots. The class comment is
// in mvcc/db/db_impl.h.
#include <memory>
#include <utility>
#include <vector>

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
  SequenceNumber sequence = 0;
  std::shared_ptr<const ReadView> v;
  std::unique_ptr<InternalIterator> source = NewInternalIterator(options, &sequence, &v);
  auto inner = NewDBIterator(std::move(source), sequence, options.lower_bound, options.upper_bound);
  return std::make_unique<ViewIterator>(std::move(v), std::move(inner));
}

std::unique_ptr<InternalIterator> DBImpl::NewInternalIterator(
    const ReadOptions& options, SequenceNumber* sequence, std::shared_ptr<const ReadView>* view) {
  std::shared_ptr<const ReadView> v = ViewAt(options, sequence);
  std::vector<std::unique_ptr<InternalIterator>> children;
  children.push_back(NewMemTableIterator(v->mem));
  for (const MemTableRef& mem : v->imm) children.push_back(NewMemTableIterator(mem));
  for (const TableFileRef& f : v->version->levels[0]) {
    children.push_back(f->NewIterator(options.verify_checksums));
  }
  for (int level = 1; level < kNumLevels; ++level) {
    if (v->version->levels[level].empty()) continue;
    children.push_back(NewLevelIterator(v->version->levels[level], options.verify_checksums));
  }
  *view = std::move(v);
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
