#include "mvcc/db/db_impl.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

#include "mvcc/env/filename.h"
#include "mvcc/iter/db_iter.h"
#include "mvcc/iter/merging_iterator.h"
#include "mvcc/log/log_reader.h"
#include "mvcc/memtable/memtable_iterator.h"
#include "mvcc/table/table_builder.h"
#include "mvcc/version/level_iterator.h"

namespace arenakv {

namespace {

// Links in a memtable reach 16 GiB of its arena (CompactRefs::kSpan); stay
// well below that.
constexpr std::size_t kMaxMemTableCapacity = std::size_t{8} << 30;
// A group stops growing at this many bytes of batches (unless its leader's
// own batch is larger), so one leader's WAL write does not grow unbounded.
constexpr std::size_t kMaxGroupBytes = std::size_t{1} << 20;
// File numbers this engine could ever reach; a larger one on disk is damage
// (and would wrap the counter around onto live files).
constexpr std::uint64_t kMaxFileNumber = std::uint64_t{1} << 56;

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

// Applies a batch to a memtable, the i-th operation at sequence first + i.
class MemTableInserter final : public WriteBatch::Handler {
 public:
  MemTableInserter(MemTable* mem, SequenceNumber first) : mem_(mem), sequence_(first) {}
  void Put(std::string_view key, std::string_view value) override {
    Add(EntryKind::kPut, key, value);
  }
  void Delete(std::string_view key) override { Add(EntryKind::kDelete, key, {}); }
  Status status() const { return status_; }

 private:
  void Add(EntryKind kind, std::string_view key, std::string_view value) {
    if (status_.ok()) status_ = mem_->Add(sequence_, kind, key, value);
    ++sequence_;
  }
  MemTable* const mem_;
  SequenceNumber sequence_;
  Status status_;
};

Status InsertBatch(MemTable* mem, const WriteBatch& batch) {
  MemTableInserter inserter(mem, batch.Sequence());
  Status s = batch.Iterate(inserter);
  return s.ok() ? inserter.status() : s;
}

// Checks every key and value of a batch against the size limits.
class SizeChecker final : public WriteBatch::Handler {
 public:
  SizeChecker(std::size_t max_key, std::size_t max_value)
      : max_key_(max_key), max_value_(max_value) {}
  void Put(std::string_view key, std::string_view value) override {
    CheckKey(key);
    if (status_.ok() && value.size() > max_value_) {
      status_ =
          Status::InvalidArgument("value of " + std::to_string(value.size()) +
                                  " bytes is over max_value_size " + std::to_string(max_value_));
    }
  }
  void Delete(std::string_view key) override { CheckKey(key); }
  Status status() const { return status_; }

 private:
  void CheckKey(std::string_view key) {
    if (status_.ok() && key.size() > max_key_) {
      status_ = Status::InvalidArgument("key of " + std::to_string(key.size()) +
                                        " bytes is over max_key_size " + std::to_string(max_key_));
    }
  }
  const std::size_t max_key_, max_value_;
  Status status_;
};

class LogReplayReporter final : public LogReader::Reporter {
 public:
  void Corruption(std::size_t bytes, const Status&) override {
    ++records;
    this->bytes += bytes;
  }
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
};

}  // namespace

struct DBImpl::Writer {
  WriteBatch* batch = nullptr;  // nullptr: a rotation request from Flush()
  bool sync = false;
  bool disable_wal = false;
  bool force_rotate = false;
  bool insert = false;  // the leader has written the WAL; insert now
  bool done = false;
  Status status;
  Group* group = nullptr;
  std::condition_variable cv;
  // Bumped (release) under mu_ with every notify of cv, so that a waiter can
  // spin on it without the lock before it falls back to cv.
  std::atomic<std::uint32_t> wakeups{0};

  // mu_ held.
  void Wake() {
    wakeups.fetch_add(1, std::memory_order_release);
    cv.notify_one();
  }
  // mu_ held on entry and on return; returns once ready() (which reads state
  // guarded by mu_) holds. A group's hand-off usually comes within a few
  // microseconds, well below the cost of a futex sleep and wake-up, so the
  // writer first spins (yielding the core) for up to kSpin on `wakeups`.
  template <typename Ready>
  void Await(std::unique_lock<std::mutex>& lock, Ready ready) {
    if (ready()) return;
    constexpr auto kSpin = std::chrono::microseconds(50);
    const std::uint32_t seen = wakeups.load(std::memory_order_relaxed);
    lock.unlock();
    const auto deadline = std::chrono::steady_clock::now() + kSpin;
    for (unsigned i = 1; wakeups.load(std::memory_order_acquire) == seen; ++i) {
      if (i % 64 == 0 && std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::yield();
    }
    lock.lock();
    while (!ready()) cv.wait(lock);
  }
};

struct DBImpl::Group {
  std::vector<Writer*> members;  // members[0] is the leader
  MemTableRef mem;
  SequenceNumber last_sequence = 0;
  std::size_t pending = 0;  // members still inserting
  bool failed = false;      // an insert failed: the group's sequence is never published
};

// ---------------------------------------------------------------- open/close

Status DB::Open(const Options& options, const std::string& path, std::unique_ptr<DB>* db) {
  db->reset();
  if (options.write_buffer_size == 0) {
    return Status::InvalidArgument("write_buffer_size must be positive");
  }
  if (options.write_buffer_size > kMaxMemTableCapacity / 4) {
    return Status::InvalidArgument("write_buffer_size must be at most 2 GiB");
  }
  if (options.max_write_buffer_number < 1) {
    return Status::InvalidArgument("max_write_buffer_number must be at least 1");
  }
  if (options.max_background_jobs < 1) {
    return Status::InvalidArgument("max_background_jobs must be at least 1");
  }
  if (options.block_size == 0 || options.block_restart_interval < 1 ||
      options.bloom_bits_per_key < 0) {
    return Status::InvalidArgument(
        "block_size and block_restart_interval must be positive, bloom_bits_per_key >= 0");
  }
  if (options.level0_file_num_compaction_trigger < 1 ||
      options.level0_slowdown_writes_trigger < options.level0_file_num_compaction_trigger ||
      options.level0_stop_writes_trigger < options.level0_slowdown_writes_trigger) {
    return Status::InvalidArgument(
        "need 1 <= level0_file_num_compaction_trigger <= level0_slowdown_writes_trigger <= "
        "level0_stop_writes_trigger");
  }
  if (options.target_file_size_base == 0 || options.max_bytes_for_level_base == 0 ||
      !(options.max_bytes_for_level_multiplier >= 1 &&
        options.max_bytes_for_level_multiplier <= 1000)) {
    return Status::InvalidArgument(
        "target_file_size_base and max_bytes_for_level_base must be positive, "
        "max_bytes_for_level_multiplier in [1, 1000]");
  }
  auto valid_compression = [](CompressionType type) {
    return type == CompressionType::kNone || type == CompressionType::kLz4 ||
           type == CompressionType::kZstd;
  };
  if (!valid_compression(options.compression) ||
      !std::all_of(options.compression_per_level.begin(), options.compression_per_level.end(),
                   valid_compression)) {
    return Status::InvalidArgument("unknown CompressionType");
  }
  if (path.empty()) return Status::InvalidArgument("empty DB path");
  auto impl = std::make_unique<DBImpl>(options, path);
  Status s = impl->OpenImpl();
  if (s.ok()) *db = std::move(impl);
  return s;
}

DBImpl::DBImpl(const Options& options, std::string path)
    : options_(options),
      path_(std::move(path)),
      fs_(options.file_system != nullptr ? options.file_system : FileSystem::Default()) {
  if (options_.block_cache_size > 0)
    cache_ = std::make_unique<BlockCache>(options_.block_cache_size);
  TableOptions table_options;
  table_options.block_size = options_.block_size;
  table_options.block_restart_interval = options_.block_restart_interval;
  table_options.bloom_bits_per_key = options_.bloom_bits_per_key;
  versions_ = std::make_unique<VersionSet>(path_, fs_, table_options, cache_.get());
  picker_ = std::make_unique<CompactionPicker>(options_);
}

DBImpl::~DBImpl() {
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
    stop_jobs_.store(true, std::memory_order_relaxed);
  }
  bg_cv_.notify_all();
  for (std::thread& t : bg_threads_) t.join();
  log_.reset();
  if (log_file_ != nullptr) (void)log_file_->Close();  // hands buffered writes to the OS
  {
    std::lock_guard lock(view_mu_);
    view_.reset();
  }
  imm_.clear();
  mem_ = {};
  versions_.reset();
  lock_file_.reset();
}

Status DBImpl::OpenImpl() {
  Status s = fs_->CheckDirectory(path_);
  if (s.IsInvalidArgument()) return Status::InvalidArgument(path_ + " is not a directory");
  if (s.IsNotFound()) {
    if (!options_.create_if_missing) {
      return Status::InvalidArgument(path_ + " does not exist (create_if_missing is false)");
    }
    s = fs_->CreateDirIfMissing(path_);
  }
  if (!s.ok()) return s;
  s = fs_->LockFile(LockFileName(path_), &lock_file_);
  if (!s.ok()) return s;
  s = Recover();
  if (!s.ok()) return s;
  for (int i = 0; i < options_.max_background_jobs; ++i) {
    bg_threads_.emplace_back([this] { BackgroundLoop(); });
  }
  return Status::OK();
}

Status DBImpl::Recover() {
  const bool exists = fs_->FileExists(CurrentFileName(path_));
  if (exists && options_.error_if_exists) {
    return Status::InvalidArgument(path_ + " exists (error_if_exists is true)");
  }
  if (!exists && !options_.create_if_missing) {
    return Status::InvalidArgument(path_ + " holds no DB (create_if_missing is false)");
  }
  Status s = exists ? versions_->Recover(options_.paranoid_checks) : Status::OK();
  if (!s.ok()) return s;

  // Every number already on disk is taken; WALs from the manifest's log
  // number on hold writes no table has yet.
  std::vector<std::string> names;
  s = fs_->GetChildren(path_, &names);
  if (!s.ok()) return s;
  std::vector<std::uint64_t> logs;
  for (const std::string& name : names) {
    std::uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
    if (!exists && HoldsData(name, type)) {
      // Data without CURRENT: a damaged DB, not an empty directory. Creating
      // a new DB here would delete those files.
      return Status::Corruption(path_ + " has " + name + " but no CURRENT file");
    }
    if (number >= kMaxFileNumber) {
      return Status::Corruption(path_ + "/" + name + ": file number out of range");
    }
    versions_->MarkFileNumberUsed(number);
    if (exists && type == FileType::kLog && number >= versions_->log_number()) {
      logs.push_back(number);
    }
  }
  std::sort(logs.begin(), logs.end());

  VersionEdit edit;
  std::vector<TableFileRef> added;
  s = ReplayLogs(std::move(logs), &edit, &added);
  if (!s.ok()) return s;

  // A fresh WAL (never append to one that may end torn) and a fresh manifest
  // holding the recovered state.
  std::uint64_t log_number = 0;
  s = NewLog(&log_number);
  if (!s.ok()) return s;
  edit.SetLogNumber(log_number);
  s = versions_->WriteSnapshot(&edit, std::move(added));
  if (!s.ok()) return s;

  last_allocated_ = versions_->last_sequence();
  last_sequence_.store(last_allocated_, std::memory_order_release);
  MemTableRef mem;
  s = NewMemTable(0, &mem);
  if (!s.ok()) return s;
  {
    std::lock_guard lock(mu_);
    mem_ = {std::move(mem), log_number};
    InstallView();
  }
  DeleteObsoleteFiles();
  return Status::OK();
}

// A table, or a WAL with records in it. (A failed first Open can leave an
// empty WAL or a manifest behind; neither holds a write anyone was told about.)
bool DBImpl::HoldsData(const std::string& name, FileType type) const {
  if (type == FileType::kTable) return true;
  if (type != FileType::kLog) return false;
  std::uint64_t size = 0;
  return !fs_->GetFileSize(path_ + "/" + name, &size).ok() || size > 0;
}

Status DBImpl::ReplayLogs(std::vector<std::uint64_t> logs, VersionEdit* edit,
                          std::vector<TableFileRef>* added) {
  MemTableRef mem;
  SequenceNumber last = versions_->last_sequence();
  auto flush = [&]() -> Status {
    if (mem == nullptr) return Status::OK();
    TableFileRef file;
    FileMetaData meta;
    // No reader exists yet: only each key's newest version matters.
    Status s = WriteTable(mem, {kMaxSequenceNumber}, &file, &meta);
    if (s.ok() && file != nullptr) {
      edit->AddFile(0, meta);
      added->push_back(std::move(file));
    }
    mem.reset();
    return s;
  };
  for (std::uint64_t number : logs) {
    const std::string path = LogFileName(path_, number);
    std::unique_ptr<SequentialFile> file;
    Status s = fs_->NewSequentialFile(path, &file);
    if (!s.ok()) return s;
    LogReplayReporter reporter;
    LogReader reader(file.get(), &reporter, /*verify_checksums=*/true,
                     options_.skip_corrupt_wal_records);
    std::string record;
    while (reader.ReadRecord(&record)) {
      WriteBatch batch;
      s = WriteBatch::FromContents(record, &batch);
      if (!s.ok()) {
        if (options_.skip_corrupt_wal_records) {
          ++reporter.records;
          continue;
        }
        return Status::Corruption(path + ": " + s.message());
      }
      const std::size_t need = MemoryNeed(batch);
      if (mem != nullptr && (mem->ShouldFlush() || !HasSpace(*mem, need))) {
        s = flush();
        if (!s.ok()) return s;
      }
      if (mem == nullptr) {
        s = NewMemTable(need, &mem);
        if (!s.ok()) return s;
      }
      s = InsertBatch(mem.get(), batch);
      // A checksummed batch the memtable refuses (a sequence out of range, a
      // key over 4 GiB) was not written by this engine.
      if (!s.ok()) return Status::Corruption(path + ": unusable batch: " + s.message());
      if (batch.Count() > 0) last = std::max(last, batch.Sequence() + batch.Count() - 1);
    }
    if (!reader.status().ok()) {
      return reader.status().IsCorruption()
                 ? Status::Corruption(path + ": " + reader.status().message() +
                                      " (Options::skip_corrupt_wal_records skips such records)")
                 : reader.status();
    }
  }
  Status s = flush();
  versions_->SetLastSequence(last);
  return s;
}

void DBImpl::RemoveFiles(const std::function<bool(FileType, std::uint64_t)>& obsolete) {
  std::vector<std::string> names;
  if (!fs_->GetChildren(path_, &names).ok()) return;  // retried at the next Open
  for (const std::string& name : names) {
    std::uint64_t number;
    FileType type;
    if (ParseFileName(name, &number, &type) && obsolete(type, number)) {
      (void)fs_->RemoveFile(path_ + "/" + name);
    }
  }
}

void DBImpl::DeleteObsoleteFiles() {
  const VersionRef version = versions_->current();
  std::set<std::uint64_t> live_tables;
  for (const auto& level : version->levels) {
    for (const TableFileRef& f : level) live_tables.insert(f->meta().number);
  }
  std::uint64_t live_log;
  {
    std::lock_guard lock(mu_);
    live_log = imm_.empty() ? mem_.log_number : imm_.back().log_number;
  }
  const std::uint64_t oldest_log = std::min(live_log, versions_->log_number());
  RemoveFiles([&](FileType type, std::uint64_t number) {
    switch (type) {
      case FileType::kLog:
        return number < oldest_log;
      case FileType::kTable:
        return !live_tables.contains(number);
      case FileType::kManifest:
        return number != versions_->manifest_number();
      case FileType::kTemp:
        return true;
      default:
        return false;
    }
  });
}

Status DestroyDB(const std::string& path, const Options& options) {
  FileSystem* fs = options.file_system != nullptr ? options.file_system : FileSystem::Default();
  Status s = fs->CheckDirectory(path);
  if (s.IsNotFound()) return Status::OK();
  if (!s.ok()) return s;
  std::unique_ptr<FileLock> lock;
  s = fs->LockFile(LockFileName(path), &lock);
  if (!s.ok()) return s;
  std::vector<std::string> names;
  s = fs->GetChildren(path, &names);
  if (!s.ok()) return s;
  Status result;
  for (const std::string& name : names) {
    std::uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type) || type == FileType::kLock) continue;
    Status r = fs->RemoveFile(path + "/" + name);
    if (result.ok() && !r.ok() && !r.IsNotFound()) result = r;
  }
  lock.reset();
  (void)fs->RemoveFile(LockFileName(path));
  (void)fs->RemoveDir(path);  // fails, harmlessly, if the user left files there
  return result;
}

// ---------------------------------------------------------------- memtables

std::size_t DBImpl::MemoryNeed(const WriteBatch& batch) {
  // Per operation: a node (links, payload, varints; at most ~100 bytes) or a
  // version chunk, rounded up to its slab (< 12.5 %): twice the encoded size
  // plus 128 bytes per operation covers it.
  return 2 * batch.ApproximateSize() + 128 * batch.Count();
}

// The arena's hard limit: room for a full buffer plus the batch that crosses
// it, and for the pages each slab commits ahead (the arena commits in steps of
// capacity / 256, at most 64 KiB, so small buffers get fine-grained steps).
std::size_t DBImpl::MemTableCapacity(std::size_t need) const {
  return std::min(kMaxMemTableCapacity, 4 * options_.write_buffer_size + 2 * need + (1 << 20));
}

// True if `mem` can take a batch needing `need` bytes without reaching its
// arena's capacity, whatever slabs the batch touches.
bool DBImpl::HasSpace(const MemTable& mem, std::size_t need) {
  const std::size_t capacity = mem.arena_stats().capacity;
  return capacity >= mem.ApproximateMemoryUsage() + need + capacity / 4;
}

Status DBImpl::NewMemTable(std::size_t need, MemTableRef* mem) {
  std::weak_ptr<ArenaRegistry> registry = arenas_;
  try {
    *mem = MemTable::Create(options_.write_buffer_size, MemTableCapacity(need),
                            [registry](const MemTable* table) {
                              if (auto r = registry.lock()) {
                                std::lock_guard lock(r->mu);
                                r->live.erase(table);
                                ++r->released;
                              }
                            });
  } catch (const std::bad_alloc&) {  // ArenaExhausted included: no address space
    return Status::MemoryLimit("cannot reserve memory for a new memtable");
  }
  std::lock_guard lock(arenas_->mu);
  arenas_->live.insert(mem->get());
  return Status::OK();
}

Status DBImpl::NewLog(std::uint64_t* number) {
  *number = versions_->NewFileNumber();
  std::unique_ptr<WritableFile> file;
  Status s = fs_->NewWritableFile(LogFileName(path_, *number), &file);
  // The new name must survive a machine crash before a synced write relies on it.
  if (s.ok()) s = fs_->SyncDir(path_);
  if (!s.ok()) return s;
  // The old WAL is synced before a write can reach the new one: a synced
  // write in the new WAL must never survive a crash that loses an earlier,
  // unsynced write of the old one (recovery yields a prefix, never a hole).
  if (log_file_ != nullptr) {
    s = log_file_->Sync();
    if (!s.ok()) {
      (void)fs_->RemoveFile(LogFileName(path_, *number));
      SetBackgroundError(s);
      return s;
    }
    log_.reset();
    s = log_file_->Close();
    if (!s.ok()) SetBackgroundError(s);
  }
  log_file_ = std::move(file);
  log_ = std::make_unique<LogWriter>(log_file_.get());
  return Status::OK();
}

Status DBImpl::Rotate(std::size_t need) {
  MemTableRef mem;
  Status s = NewMemTable(need, &mem);
  if (!s.ok()) return s;
  std::uint64_t number = 0;
  s = NewLog(&number);  // file I/O under mu_: rare, and only the leader writes
  if (!s.ok()) return s;
  mem_.mem->MarkImmutable();
  imm_.push_front(std::move(mem_));
  mem_ = {std::move(mem), number};
  InstallView();
  bg_cv_.notify_all();
  return Status::OK();
}

Status DBImpl::MakeRoom(std::unique_lock<std::mutex>& lock, std::size_t need, bool force_rotate) {
  const std::size_t max_imm = static_cast<std::size_t>(options_.max_write_buffer_number) - 1;
  bool slowed_down = false;
  auto stall = [&](std::uint64_t* counter) {
    ++*counter;
    const auto start = std::chrono::steady_clock::now();
    if (counter == &l0_slowdowns_) {
      // Let background work catch up a little, without holding up readers
      // or the other writers' queueing.
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      lock.lock();
      slowed_down = true;
    } else {
      bg_cv_.wait(lock);
    }
    stall_micros_ += MicrosSince(start);
  };
  for (;;) {
    if (!bg_error_.ok()) return bg_error_;
    if (!options_.disable_auto_compactions && !force_rotate) {
      // Level 0 piling up: reads get slower with every file, so writes wait
      // for compactions (with auto compactions off nothing would drain it).
      const auto l0_files = static_cast<int>(versions_->current()->levels[0].size());
      if (l0_files >= options_.level0_stop_writes_trigger) {
        stall(&l0_stops_);
        continue;
      }
      if (l0_files >= options_.level0_slowdown_writes_trigger && !slowed_down) {
        stall(&l0_slowdowns_);
        continue;
      }
    }
    const MemTable& mem = *mem_.mem;
    const bool empty = mem.num_entries() == 0;
    if (force_rotate && empty) return Status::OK();  // nothing to flush
    const bool has_space = HasSpace(mem, need);
    if (!force_rotate && empty && !has_space) {
      // An empty memtable too small for this batch: replace it, same WAL.
      Status s = NewMemTable(need, &mem_.mem);
      if (!s.ok()) return s;
      InstallView();
      continue;
    }
    // An empty memtable takes a write even if its first pages already reach
    // write_buffer_size (tiny buffers): otherwise nothing would ever fit.
    if (!force_rotate && has_space && (empty || !mem.ShouldFlush())) {
      if (imm_.size() <= max_imm) return Status::OK();
    } else if (imm_.size() < std::max<std::size_t>(max_imm, 1)) {
      Status s = Rotate(need);
      if (!s.ok()) return s;
      force_rotate = false;
      continue;
    }
    stall(&memtable_stalls_);  // every memtable is full: wait for a flush
  }
}

void DBImpl::InstallView() {
  auto view = std::make_shared<ReadView>();
  view->mem = mem_.mem;
  for (const MemTableSlot& slot : imm_) view->imm.push_back(slot.mem);
  view->version = versions_->current();
  std::shared_ptr<const ReadView> old = std::move(view);
  {
    std::lock_guard lock(view_mu_);
    old.swap(view_);
  }
  // The old view goes here, without view_mu_: it may be the last holder of a
  // memtable (its arena is unmapped) or of obsolete files (deleted), and
  // every read takes view_mu_.
}

std::shared_ptr<const ReadView> DBImpl::view() const {
  std::lock_guard lock(view_mu_);
  return view_;
}

std::shared_ptr<const ReadView> DBImpl::ViewAt(const ReadOptions& options,
                                               SequenceNumber* sequence) const {
  std::lock_guard lock(view_mu_);
  *sequence = options.snapshot != nullptr ? options.snapshot->sequence()
                                          : last_sequence_.load(std::memory_order_acquire);
  return view_;
}

void DBImpl::SetBackgroundError(const Status& s) {
  if (bg_error_.ok()) bg_error_ = s;
  bg_cv_.notify_all();
}

// ---------------------------------------------------------------- writes

Status DBImpl::Put(const WriteOptions& options, std::string_view key, std::string_view value) {
  WriteBatch batch;
  batch.Put(key, value);
  return Write(options, &batch);
}

Status DBImpl::Delete(const WriteOptions& options, std::string_view key) {
  WriteBatch batch;
  batch.Delete(key);
  return Write(options, &batch);
}

Status DBImpl::Write(const WriteOptions& options, WriteBatch* batch) {
  if (batch == nullptr) return Status::InvalidArgument("null batch");
  if (options.sync && options.disable_wal) {
    return Status::InvalidArgument("sync and disable_wal together: nothing to sync");
  }
  SizeChecker checker(options_.max_key_size, options_.max_value_size);
  Status s = batch->Iterate(checker);
  if (s.ok()) s = checker.status();
  if (!s.ok()) return s;
  if (4 * MemoryNeed(*batch) > kMaxMemTableCapacity) {
    return Status::MemoryLimit("batch too large for one memtable");
  }
  return WriteImpl(options, batch, /*force_rotate=*/false);
}

Status DBImpl::WriteImpl(const WriteOptions& options, WriteBatch* batch, bool force_rotate) {
  Writer w;
  w.batch = batch;
  w.sync = options.sync;
  w.disable_wal = options.disable_wal;
  w.force_rotate = force_rotate;

  std::unique_lock lock(mu_);
  writers_.push_back(&w);
  w.Await(lock, [&] { return w.done || w.insert || &w == writers_.front(); });
  if (w.done) return w.status;

  Group* group = w.group;
  Group own;
  if (!w.insert) {
    // The leader. Its group: itself and the writers queued behind it that
    // share its WAL choice, up to kMaxGroupBytes.
    group = &own;
    own.members.push_back(&w);
    std::size_t bytes = batch != nullptr ? batch->ApproximateSize() : 0;
    std::size_t need = batch != nullptr ? MemoryNeed(*batch) : 0;
    if (batch != nullptr) {
      for (auto it = writers_.begin() + 1; it != writers_.end(); ++it) {
        Writer* m = *it;
        if (m->batch == nullptr || m->disable_wal != w.disable_wal ||
            bytes + m->batch->ApproximateSize() > std::max(kMaxGroupBytes, bytes)) {
          break;
        }
        bytes += m->batch->ApproximateSize();
        need += MemoryNeed(*m->batch);
        own.members.push_back(m);
      }
    }
    Status s = MakeRoom(lock, need, force_rotate);
    if (s.ok() && batch != nullptr) {
      SequenceNumber next = last_allocated_ + 1;
      bool sync = false;
      for (Writer* m : own.members) {
        m->batch->SetSequence(next);
        next += m->batch->Count();
        sync = sync || m->sync;
      }
      own.mem = mem_.mem;
      own.last_sequence = next - 1;
      if (!w.disable_wal) {
        LogWriter* log = log_.get();
        WritableFile* file = log_file_.get();
        lock.unlock();  // the WAL is the leader's alone until it hands over
        for (Writer* m : own.members) {
          if (s.ok()) s = log->AddRecord(m->batch->Contents());
        }
        if (s.ok()) s = sync ? file->Sync() : file->Flush();
        lock.lock();
        // The log may end in a torn record now: no write may follow it.
        if (!s.ok()) SetBackgroundError(s);
      }
      if (s.ok()) last_allocated_ = own.last_sequence;
    }
    if (!s.ok() || batch == nullptr) {
      for (Writer* m : own.members) {
        writers_.pop_front();
        m->status = s;
        m->done = true;
        if (m != &w) m->Wake();
      }
      if (!writers_.empty()) writers_.front()->Wake();
      return s;
    }
    own.pending = own.members.size();
    for (Writer* m : own.members) {
      m->group = &own;
      if (m != &w) {
        m->insert = true;
        m->Wake();
      }
    }
  }

  // Every member inserts its own batch, concurrently with the others.
  lock.unlock();
  Status s = InsertBatch(group->mem.get(), *w.batch);
  lock.lock();
  w.status = s;
  // The WAL has the batch but the memtable refused it: only a reopen (which
  // replays the WAL) can make them agree again.
  if (!s.ok()) {
    group->failed = true;
    SetBackgroundError(Status::MemoryLimit("memtable insert failed: " + s.message()));
  }
  if (--group->pending == 0) {
    // A failed group stays invisible: publishing its sequence would show part
    // of a batch. The background error stops every later write.
    if (!group->failed) last_sequence_.store(group->last_sequence, std::memory_order_release);
    for (Writer* m : group->members) {
      writers_.pop_front();
      m->done = true;
      if (m != &w) m->Wake();
    }
    if (!writers_.empty()) writers_.front()->Wake();
  }
  // The leader's Group lives on its stack: the leader is done only when the
  // last member has finished with the group.
  w.Await(lock, [&] { return w.done; });
  return w.status;
}

// ---------------------------------------------------------------- reads

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
    Table::GetResult result;
    *s = f.table().Get(key, sequence, options.verify_checksums, &result, value);
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
  std::shared_ptr<const ReadView> v = ViewAt(options, &sequence);
  std::vector<std::unique_ptr<InternalIterator>> children;
  children.push_back(NewMemTableIterator(v->mem));
  for (const MemTableRef& mem : v->imm) children.push_back(NewMemTableIterator(mem));
  for (const TableFileRef& f : v->version->levels[0]) {
    children.push_back(f->table().NewIterator(options.verify_checksums));
  }
  for (int level = 1; level < kNumLevels; ++level) {
    if (v->version->levels[level].empty()) continue;
    children.push_back(NewLevelIterator(v->version->levels[level], options.verify_checksums));
  }
  auto inner = NewDBIterator(NewMergingIterator(std::move(children)), sequence, options.lower_bound,
                             options.upper_bound);
  return std::make_unique<ViewIterator>(std::move(v), std::move(inner));
}

const Snapshot* DBImpl::GetSnapshot() {
  std::lock_guard lock(mu_);
  const SequenceNumber sequence = last_sequence_.load(std::memory_order_acquire);
  snapshots_.insert(sequence);
  return new SnapshotImpl(sequence);
}

void DBImpl::ReleaseSnapshot(const Snapshot* snapshot) {
  if (snapshot == nullptr) return;
  {
    std::lock_guard lock(mu_);
    auto it = snapshots_.find(snapshot->sequence());
    if (it != snapshots_.end()) snapshots_.erase(it);
  }
  delete static_cast<const SnapshotImpl*>(snapshot);
}

}  // namespace arenakv
