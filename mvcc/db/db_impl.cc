// SPDX-License-Identifier: Apache-2.0
#include "mvcc/db/db_impl.h"

#include <arenakv/version.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

#include "mvcc/db/memtable_inserter.h"
#include "mvcc/db/outside_value.h"
#include "mvcc/env/filename.h"
#include "mvcc/util/sync_point.h"

namespace arenakv {

namespace {

// A group stops growing at this many bytes of batches (unless its leader's
// own batch is larger), so one leader's WAL write does not grow unbounded.
constexpr std::size_t kMaxGroupBytes = std::size_t{1} << 20;

// A leader delayed at the slowdown trigger looks at level 0 again this often.
constexpr std::chrono::milliseconds kDelaySlice{10};

// Checks every key and value of a batch against the size limits.
// With `outside_value`, the batch is one Put whose value that is.
class SizeChecker final : public WriteBatch::Handler {
 public:
  SizeChecker(std::size_t max_key, std::size_t max_value,
              std::optional<std::string_view> outside_value)
      : max_key_(max_key), max_value_(max_value), outside_value_(outside_value) {}
  void Put(std::string_view key, std::string_view value) override {
    value = outside_value_.value_or(value);
    CheckKey(key);
    if (status_.ok() && value.size() > max_value_) {
      status_ =
          Status::InvalidArgument("value of " + std::to_string(value.size()) +
                                  " bytes is over max_value_size " + std::to_string(max_value_));
    }
    pools_.Add(key.size(), value.size());
  }
  void Delete(std::string_view key) override {
    CheckKey(key);
    pools_.Add(key.size(), 0);
  }
  Status status() const { return status_; }
  // The memtable pools the batch's inserts may allocate from (MemTable::InsertBound).
  std::size_t pools() const { return pools_.pools(); }

 private:
  void CheckKey(std::string_view key) {
    if (status_.ok() && key.size() > max_key_) {
      status_ = Status::InvalidArgument("key of " + std::to_string(key.size()) +
                                        " bytes is over max_key_size " + std::to_string(max_key_));
    }
  }
  const std::size_t max_key_, max_value_;
  const std::optional<std::string_view> outside_value_;
  Status status_;
  MemTable::InsertPools pools_;
};

}  // namespace

// ---------------------------------------------------------------- open/close

DBImpl::DBImpl(const Options& options, std::string path, bool read_only)
    : options_(options),
      path_(std::move(path)),
      read_only_(read_only),
      fs_(options.file_system != nullptr ? options.file_system : FileSystem::Default()),
      write_delay_(options.delayed_write_rate) {
  // With recycle_memtables, one idle memtable at most, keeping the pages of
  // one write buffer (and an eighth for slack): the next memtable fills
  // resident pages where the flushed one's were. Keeping every page would
  // let an arena grow cycle after cycle up to its capacity (4 buffers)
  // wherever a new pool missed the kept ones. Not under a memory budget:
  // there every charged byte must be one a stalled writer, reader or replay
  // can get back, and those paths do not know idle memtables yet.
  memtables_ = std::make_shared<MemTableRecycler>(
      options_.write_buffer_size, MemTableCapacity(kRecyclableNeed),
      /*keep_bytes=*/options_.write_buffer_size + options_.write_buffer_size / 8,
      /*max_idle=*/options_.recycle_memtables && options_.memory_budget == nullptr ? 1 : 0,
      options_.memory_budget);
  {
    const std::shared_ptr<MemoryBudget>& budget = options_.memory_budget;
    const ArenaOptions arena{.capacity = kTransactionIndexCapacity,
                             .charge = budget != nullptr
                                           ? budget->Account(MemoryBudget::Consumer::kTransactions)
                                           : nullptr,
                             .huge_pages = false};
    transaction_arenas_ =
        ArenaCache::Create(arena, kTransactionIndexKeepBytes, kIdleTransactionArenas, budget);
  }
  if (options_.block_cache_size > 0) {
    MemoryCharge* charge =
        options_.memory_budget != nullptr
            ? options_.memory_budget->Account(MemoryBudget::Consumer::kBlockCache)
            : nullptr;
    cache_ = std::make_unique<BlockCache>(options_.block_cache_size, /*shard_bits=*/4, charge);
  }
  TableOptions table_options;
  table_options.block_size = options_.block_size;
  table_options.block_restart_interval = options_.block_restart_interval;
  table_options.bloom_bits_per_key = options_.bloom_bits_per_key;
  // Read-only, every reader is opened at Open: a file a writer process
  // deletes later stays readable through its open descriptor. Under a memory
  // budget, readers are cached even without a descriptor limit, so that the
  // budget can close idle ones.
  std::size_t table_cache_capacity = 0;  // every reader kept for life
  if (!read_only_ && options_.max_open_files != -1) {
    table_cache_capacity = static_cast<std::size_t>(options_.max_open_files - kReservedOpenFiles);
  } else if (!read_only_ && options_.memory_budget != nullptr) {
    table_cache_capacity = TableCache::kUnlimited;
  }
  versions_ = std::make_unique<VersionSet>(path_, fs_, table_options, cache_.get(),
                                           options_.max_manifest_file_size, table_cache_capacity,
                                           options_.paranoid_checks, options_.memory_budget.get());
  picker_ = std::make_unique<CompactionPicker>(options_, BudgetFlushBytes());
}

DBImpl::~DBImpl() {
  (void)Close();  // its error has no one to go to: call Close() to see it
  {
    MutexLock lock(&view_mu_);
    view_.reset();
  }
  imm_.clear();
  mem_ = {};
  versions_.reset();
  lock_file_.reset();
}

// The directory holding `path`: "." for a bare name, "/" for "/name".
std::string DBImpl::ParentDirectory(const std::string& path) {
  std::string dir = path;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  const std::size_t slash = dir.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : dir.substr(0, slash);
}

Status DBImpl::GetDbIdentity(std::string* identity) const {
  if (identity == nullptr) return Status::InvalidArgument("null identity");
  *identity = db_id_;
  return Status::OK();
}

Status DBImpl::Close() {
  bool flush = false;
  {
    MutexLock lock(&mu_);
    if (closed_) return Status::OK();
    flush = unlogged_writes_ && bg_error_.ok() && !bg_threads_.empty();
  }
  // Writes made without the WAL exist only in the memtables: a clean close
  // writes them to tables, as RocksDB does (a crash still loses them).
  Status s = flush ? FlushAndWait(/*through_retries=*/true) : Status::OK();
  if (!flush) {
    MutexLock lock(&mu_);
    // A background error keeps them from a table: they are lost, say so.
    if (unlogged_writes_ && !bg_error_.ok()) s = bg_error_;
  }
  {
    MutexLock lock(&mu_);
    closed_ = true;
    shutting_down_ = true;
    stop_jobs_.store(true, std::memory_order_relaxed);
  }
  bg_cv_.SignalAll();
  for (std::thread& t : bg_threads_) t.join();
  bg_threads_.clear();
  std::vector<std::shared_ptr<const ReadView>> retired;
  {
    MutexLock lock(&mu_);
    retired.swap(retired_views_);
  }
  retired.clear();  // views refreshing iterators let go of, not yet dropped
  MutexLock lock(&mu_);
  for (OldLog& old : old_logs_) (void)old.file->Close();  // unsynced, like the current log
  old_logs_.clear();
  log_.reset();
  if (log_file_ != nullptr) {
    Status closed = log_file_->Close();  // hands buffered writes to the OS
    if (s.ok()) s = closed;
    log_file_.reset();
  }
  ARENAKV_LOG(info_log_, "Close: %s%s", s.ToString().c_str(),
              flush ? " (flushed the writes made without the WAL)" : "");
  return s;
}

Status DBImpl::OpenImpl() {
  const bool create = options_.create_if_missing && !read_only_;  // read-only creates nothing
  Status s = fs_->CheckDirectory(path_);
  if (s.IsInvalidArgument()) return Status::InvalidArgument(path_ + " is not a directory");
  if (s.IsNotFound()) {
    if (!create) {
      std::string what = path_ + " does not exist";
      if (!read_only_) what += " (create_if_missing is false)";
      return Status::InvalidArgument(what);
    }
    s = fs_->CreateDirIfMissing(path_);
    // The new directory's name must survive a crash before any file in it
    // is relied on.
    if (s.ok()) s = fs_->SyncDir(ParentDirectory(path_));
  }
  if (!s.ok()) return s;
  if (read_only_) return Recover();  // no LOCK, no LOG, no background threads
  // A directory without a DB is left as it is (no LOCK, no LOG) unless asked
  // to create one; Recover checks again under the LOCK.
  if (!options_.create_if_missing && !fs_->FileExists(CurrentFileName(path_))) {
    return Status::InvalidArgument(path_ + " holds no DB (create_if_missing is false)");
  }
  s = fs_->LockFile(LockFileName(path_), &lock_file_);
  if (!s.ok()) return s;
  // Without a LOG the DB still works; the operator loses the record.
  (void)InfoLog::Open(fs_, path_, options_.max_log_file_size, options_.keep_log_file_num,
                      &info_log_);
  ARENAKV_LOG(info_log_, "Open: arenakv %s at %s", ARENAKV_VERSION_STRING, path_.c_str());
  s = Recover();
  if (!s.ok()) {
    ARENAKV_LOG(info_log_, "Open failed: %s", s.ToString().c_str());
    return s;
  }
  for (int i = 0; i < options_.max_background_jobs; ++i) {
    bg_threads_.emplace_back([this, i] { BackgroundLoop(RoleOf(i)); });
  }
  return Status::OK();
}

// ---------------------------------------------------------------- memtables

std::size_t DBImpl::MemoryNeed(const WriteBatch& batch, std::size_t outside_bytes) {
  // Per operation: a node (links, payload, varints; at most ~100 bytes) or,
  // when a racing insert of the same key wins, a node and a version chunk.
  return 2 * (batch.ApproximateSize() + outside_bytes) + 128 * batch.Count();
}

std::size_t DBImpl::ReserveNeed(const WriteBatch& batch, std::size_t outside_bytes, bool racing) {
  // The batch's encoding holds every key and value (and more).
  return MemTable::AddBound(batch.ApproximateSize() + outside_bytes, batch.Count(), racing);
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
  const std::size_t capacity = mem.capacity();
  return capacity >= mem.ApproximateMemoryUsage() + need + capacity / 4;
}

bool DBImpl::MemTableFull(const MemTable& mem) const {
  if (mem.ShouldFlush()) return true;
  // With a budget, as WriteBufferManager does: a memtable is full at 7/8 of
  // the budget's share of one write buffer, so that the next one fills while
  // it is flushed instead of waiting for the flush to give the memory back.
  return mem.ApproximateMemoryUsage() >= BudgetFlushBytes();
}

std::size_t DBImpl::BudgetFlushBytes() const {
  const MemoryBudget* budget = options_.memory_budget.get();
  if (budget == nullptr) return SIZE_MAX;
  return budget->limit() / 8 * 7 /
         static_cast<std::size_t>(std::max(options_.max_write_buffer_number, 2));
}

Status DBImpl::NewMemTable(std::size_t need, MemTableRef* mem) {
  std::weak_ptr<ArenaRegistry> registry = arenas_;
  // The budget stays alive while a memtable charges it (a memtable may
  // outlive the DB in an iterator).
  std::shared_ptr<MemoryBudget> budget = options_.memory_budget;
  MemoryBudget* const charged_to = budget.get();
  std::shared_ptr<MemTableRecycler> recycler;
  std::size_t capacity = MemTableCapacity(need);
  // Recycled memtables share one capacity, room for batches up to
  // kRecyclableNeed. Without recycling, each gets just what its batch needs:
  // with tiny write buffers the shared capacity is twice as large, and fresh
  // arenas that large took five times the page faults (crash_cycles, 256 KiB
  // buffers: 115K instead of 20K; measured, not yet understood).
  if (options_.recycle_memtables && options_.memory_budget == nullptr && need <= kRecyclableNeed) {
    recycler = memtables_;
    capacity = recycler->capacity();
  }
  try {
    *mem = MemTable::Create(
        options_.write_buffer_size, capacity,
        [registry, budget = std::move(budget)](const MemTable* table) {
          if (auto r = registry.lock()) {
            std::lock_guard lock(r->mu);
            r->live.erase(table);
            ++r->released;
          }
        },
        charged_to, std::move(recycler), options_.memtable_huge_pages);
  } catch (const std::bad_alloc&) {  // ArenaExhausted included: no address space
    return Status::MemoryLimit("cannot reserve memory for a new memtable");
  }
  std::lock_guard lock(arenas_->mu);
  arenas_->live.insert(mem->get());
  return Status::OK();
}

Status DBImpl::Rotate(std::size_t need) {
  // The full memtable's unused reservation pays for the new one's first
  // pages (no insert runs: the leader is here).
  (void)mem_.mem->Reserve(0);
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
  bg_cv_.SignalAll();
  return Status::OK();
}

Status DBImpl::RelieveBudget(std::size_t bound, std::size_t need,
                             std::optional<std::chrono::steady_clock::time_point>* stuck_since) {
  const MemoryBudget& budget = *options_.memory_budget;
  if (bound > budget.limit()) {
    return Status::MemoryLimit("a write needs up to " + std::to_string(bound) +
                               " bytes of memtable, more than the whole memory budget (" +
                               std::to_string(budget.limit()) + " bytes)");
  }
  const auto start = std::chrono::steady_clock::now();
  if (!stuck_since->has_value()) *stuck_since = start;
  // 0. Idle transaction write-set arenas keep pages nothing uses.
  if (transaction_arenas_->Drop() > 0) return Status::OK();
  // 1. The block cache makes way for what is missing (its entries' charge
  // goes back as they are evicted). Only for a while: readers refilling the
  // cache must not keep a writer looping here.
  // (A new memtable's first pages, which a failed rotation could not get,
  // are not in `bound`: at least a commit step's worth goes.)
  const std::size_t room = budget.limit() - std::min(budget.limit(), budget.charged());
  const std::size_t missing = bound - std::min(bound, mem_.mem->reserved() + room);
  const std::size_t shed = std::max<std::size_t>(missing, std::size_t{64} << 10);
  if (cache_ != nullptr && start - **stuck_since < kBudgetShedLimit && cache_->Shed(shed) > 0) {
    return Status::OK();
  }
  // 2. Table readers no Get or iterator uses close (reopened on demand).
  TableCache* readers = versions_->table_cache();
  if (readers != nullptr && start - **stuck_since < kBudgetShedLimit &&
      readers->CloseIdle(shed) > 0) {
    return Status::OK();
  }
  // 2b. The other DBs sharing the budget do the same.
  if (start - **stuck_since < kBudgetShedLimit &&
      options_.memory_budget->RelieveOthers(shed, readers) > 0) {
    return Status::OK();
  }
  // 3. Flush early: the memtable's pages return to the budget once flushed.
  const std::size_t max_imm = static_cast<std::size_t>(options_.max_write_buffer_number) - 1;
  if (mem_.mem->num_entries() > 0 && imm_.size() < std::max<std::size_t>(max_imm, 1)) {
    const std::size_t bytes = mem_.mem->ApproximateMemoryUsage();
    Status s = Rotate(need);
    if (s.ok()) {
      ++stats_.budget_flushes;
      ARENAKV_LOG(info_log_,
                  "Memory budget full (%zu of %zu bytes charged): flushed a %zu-byte memtable "
                  "early",
                  budget.charged(), budget.limit(), bytes);
      *stuck_since = std::nullopt;
      return s;
    }
    // The new memtable's first pages did not fit either: wait below.
    if (!s.IsMemoryLimit()) return s;
  }
  // 4. Wait: for this DB's flushes, or for other holders of the budget.
  if (imm_.empty()) {
    // Nothing this DB holds can be freed but what its running jobs' table
    // builders hold (given back as each file is done: the writer waits for
    // them, without re-arming steps 1 and 2); other DBs sharing the budget,
    // or iterators still holding memtables, may free something.
    const bool jobs_hold_budget = readers != nullptr && readers->charged_job_bytes() > 0;
    if (start - **stuck_since > kBudgetWaitLimit && !jobs_hold_budget) {
      return Status::MemoryLimit("the memory budget (" + budget.Describe() +
                                 ") has no room for a write needing " + std::to_string(bound) +
                                 " bytes, and nothing this DB holds could be freed");
    }
  } else {
    *stuck_since = std::nullopt;  // a flush is under way: it will free memory
  }
  ++stats_.budget_stalls;
  bg_cv_.WaitFor(std::chrono::milliseconds(10));
  stats_.stall_micros += MicrosSince(start);
  return Status::OK();
}

Status DBImpl::MakeRoom(std::size_t need, std::size_t reserve, std::size_t pools, std::size_t bytes,
                        bool force_rotate, WriteQueue::Writer* leader) {
  const std::size_t max_imm = static_cast<std::size_t>(options_.max_write_buffer_number) - 1;
  std::optional<std::chrono::steady_clock::time_point> budget_stuck_since;
  // When this group may go ahead at the slowdown trigger; charged once.
  std::optional<std::chrono::steady_clock::time_point> delayed_until;
  auto stall = [&](std::uint64_t* counter) ARENAKV_REQUIRES(mu_) {
    ++*counter;
    const auto start = std::chrono::steady_clock::now();
    bg_cv_.Wait();
    const std::uint64_t micros = MicrosSince(start);
    stats_.stall_micros += micros;
    // File I/O under mu_, but a writer that waited for a flush can afford a
    // line.
    ARENAKV_LOG(info_log_, "Stall: writes waited %llu us for %s",
                static_cast<unsigned long long>(micros),
                counter == &stats_.l0_stops ? "level-0 compactions" : "a memtable flush");
  };
  for (;;) {
    if (!bg_error_.ok()) return bg_error_;
    if (!options_.disable_auto_compactions && !force_rotate) {
      // Level 0 piling up: reads get slower with every file, so writes wait
      // for compactions (with auto compactions off nothing would drain it).
      const auto l0_files = static_cast<int>(versions_->current()->levels[0].size());
      if (l0_files >= options_.level0_stop_writes_trigger) {
        stall(&stats_.l0_stops);
        continue;
      }
      if (l0_files < options_.level0_slowdown_writes_trigger) {
        write_delay_.Reset();
      } else {
        auto now = std::chrono::steady_clock::now();
        if (!delayed_until) {
          if (write_delay_.Observe(l0_files)) {
            ARENAKV_LOG(info_log_, "Delaying writes: %d level-0 files, %llu bytes/s", l0_files,
                        static_cast<unsigned long long>(write_delay_.rate()));
          }
          delayed_until = now + write_delay_.Charge(bytes, now);
          if (*delayed_until > now) ++stats_.l0_slowdowns;
        }
        if (now < *delayed_until) {
          // Wait for this group's turn in slices, without holding up readers
          // or the other writers' queueing; once background work brings
          // level 0 under the trigger, go ahead at once.
          mu_.Unlock();
          std::this_thread::sleep_for(
              std::min<std::chrono::steady_clock::duration>(*delayed_until - now, kDelaySlice));
          mu_.Lock();
          stats_.stall_micros += MicrosSince(now);
          continue;
        }
      }
    }
    const MemTable& mem = *mem_.mem;
    if (write_queue_.inserting()) {
      // Earlier groups still insert into mem_. A group that fits beside them
      // goes ahead; one that would change the memtable (rotate or replace
      // it, reserve budget, which must not race with inserts) waits for them.
      if (!force_rotate && options_.memory_budget == nullptr && imm_.size() <= max_imm &&
          HasSpace(mem, need + write_queue_.in_flight_need()) && !MemTableFull(mem)) {
        return Status::OK();
      }
      write_queue_.AwaitInserts(leader, &mu_);
      continue;
    }
    const bool empty = mem.num_entries() == 0;
    if (force_rotate && empty) return Status::OK();  // nothing to flush
    const bool has_space = HasSpace(mem, need);
    // With a budget, a new memtable whose first pages do not fit waits for
    // room like a write does.
    auto relieve = [&](const Status& s) ARENAKV_REQUIRES(mu_) {
      if (options_.memory_budget == nullptr || !s.IsMemoryLimit()) return s;
      return RelieveBudget(mem_.mem->InsertBound(reserve, pools), need, &budget_stuck_since);
    };
    if (!force_rotate && empty && !has_space) {
      // An empty memtable too small for this batch: replace it, same WAL.
      (void)mem_.mem->Reserve(0);  // its reservation pays for the new one
      MemTableRef replacement;
      Status s = NewMemTable(need, &replacement);
      if (!s.ok()) {
        s = relieve(s);
        if (!s.ok()) return s;
        continue;
      }
      mem_.mem = std::move(replacement);
      InstallView();
      continue;
    }
    // An empty memtable takes a write even if its first pages already reach
    // write_buffer_size (tiny buffers): otherwise nothing would ever fit.
    if (!force_rotate && has_space && (empty || !MemTableFull(mem))) {
      if (imm_.size() <= max_imm) {
        // With a budget, what the inserts may commit is reserved before the
        // WAL holds them: an insert the budget refused would leave the WAL
        // ahead of the memtable.
        if (options_.memory_budget == nullptr || pools == 0) return Status::OK();
        const std::size_t bound = mem_.mem->InsertBound(reserve, pools);
        if (mem_.mem->Reserve(bound)) return Status::OK();
        Status s = RelieveBudget(bound, need, &budget_stuck_since);
        if (!s.ok()) return s;
        continue;
      }
    } else if (imm_.size() < std::max<std::size_t>(max_imm, 1)) {
      // Full by the budget's share, not by write_buffer_size: an early flush.
      const bool by_budget = !force_rotate && has_space && !empty && !mem.ShouldFlush();
      Status s = Rotate(need);
      if (!s.ok()) {
        s = relieve(s);
        if (!s.ok()) return s;
        continue;
      }
      if (by_budget) ++stats_.budget_flushes;
      force_rotate = false;
      continue;
    }
    stall(&stats_.memtable_stalls);  // every memtable is full: wait for a flush
  }
}

void DBImpl::InstallView() {
  auto view = std::make_shared<ReadView>();
  view->mem = mem_.mem;
  for (const MemTableSlot& slot : imm_) view->imm.push_back(slot.mem);
  view->version = versions_->current();
  std::shared_ptr<const ReadView> old = std::move(view);
  {
    MutexLock lock(&view_mu_);
    old.swap(view_);
    view_generation_.fetch_add(1, std::memory_order_relaxed);
  }
  // The old view goes here, without view_mu_: it may be the last holder of a
  // memtable (its arena is unmapped) or of obsolete files (deleted), and
  // every read takes view_mu_.
}

std::shared_ptr<const ReadView> DBImpl::view() const {
  MutexLock lock(&view_mu_);
  return view_;
}

void DBImpl::RetireView(std::shared_ptr<const ReadView> view) {
  if (view == nullptr || view.use_count() > 1) return;  // not the last holder: dropped cheaply
  {
    MutexLock lock(&mu_);
    if (!shutting_down_ && !read_only_) {
      retired_views_.push_back(std::move(view));
      bg_cv_.SignalAll();
      return;
    }
  }
  view.reset();  // no background thread would take it
}

std::shared_ptr<const ReadView> DBImpl::CurrentView(std::uint64_t* generation) const {
  MutexLock lock(&view_mu_);
  *generation = view_generation_.load(std::memory_order_relaxed);
  return view_;
}

std::shared_ptr<const ReadView> DBImpl::ViewAt(const ReadOptions& options,
                                               SequenceNumber* sequence) const {
  MutexLock lock(&view_mu_);
  *sequence = options.snapshot != nullptr ? options.snapshot->sequence()
                                          : last_sequence_.load(std::memory_order_acquire);
  return view_;
}

// ---------------------------------------------------------------- writes

Status DBImpl::Put(const WriteOptions& options, std::string_view key, std::string_view value) {
  WriteBatch batch;
  if (value.size() < kOutsideValueBytes) {
    batch.Put(key, value);
    return Write(options, &batch);
  }
  // A large value is logged and inserted from the caller's buffer, not
  // copied into the batch first (mvcc/db/outside_value.h).
  batch.Put(key, {});
  return WriteValidated(options, &batch, nullptr, value);
}

Status DBImpl::Delete(const WriteOptions& options, std::string_view key) {
  WriteBatch batch;
  batch.Delete(key);
  return Write(options, &batch);
}

Status DBImpl::Write(const WriteOptions& options, WriteBatch* batch) {
  return WriteValidated(options, batch, nullptr);
}

Status DBImpl::WriteValidated(const WriteOptions& options, WriteBatch* batch,
                              const std::function<Status()>& validate,
                              std::optional<std::string_view> outside_value) {
  if (batch == nullptr) return Status::InvalidArgument("null batch");
  if (options.sync && options.disable_wal) {
    return Status::InvalidArgument("sync and disable_wal together: nothing to sync");
  }
  SizeChecker checker(options_.max_key_size, options_.max_value_size, outside_value);
  Status s = batch->Iterate(checker);
  if (s.ok()) s = checker.status();
  if (!s.ok()) return s;
  if (4 * MemoryNeed(*batch, outside_value ? outside_value->size() : 0) > kMaxMemTableCapacity) {
    return Status::MemoryLimit("batch too large for one memtable");
  }
  return WriteImpl(options, batch, /*force_rotate=*/false, checker.pools(),
                   validate ? &validate : nullptr, outside_value);
}

Status DBImpl::WriteImpl(const WriteOptions& options, WriteBatch* batch, bool force_rotate,
                         std::size_t pools, const std::function<Status()>* validate,
                         std::optional<std::string_view> outside_value) {
  WriteQueue::Writer w(&mu_);
  w.batch = batch;
  w.outside_value = outside_value;
  w.pools = pools;
  w.sync = options.sync;
  w.disable_wal = options.disable_wal;
  w.force_rotate = force_rotate;
  w.validate = validate;

  if (read_only_) return Status::NotSupported("the DB is open read-only");
  MutexLock lock(&mu_);
  if (closed_) return Status::InvalidArgument("the DB is closed");
  write_queue_.Join(&w, &mu_);
  if (w.done) return w.status;

  WriteQueue::Group* group = w.group;
  WriteQueue::Group own;
  if (!w.insert) {
    // The leader. Its group: itself and the writers queued behind it that
    // share its WAL choice, up to kMaxGroupBytes.
    group = &own;
    write_queue_.FormGroup(&w, kMaxGroupBytes, &own);
    if (validate != nullptr) {
      // A transaction's commit, alone in its group. Once no earlier group is
      // in flight, the memtables hold every write before this one, and none
      // can come after it before this leader hands over: the check and the
      // write are one atomic step (mvcc/txn/README.md).
      write_queue_.AwaitInserts(&w, &mu_);
      Status v = bg_error_;
      if (v.ok()) {
        lock.Unlock();
        ARENAKV_SYNC_POINT("DBImpl::WriteImpl:Validate");
        v = (*validate)();
        lock.Lock();
      }
      if (!v.ok()) {
        write_queue_.FinishEarly(&own, &w, v);
        return v;
      }
    }
    std::size_t need = 0;
    std::size_t reserve = 0;
    std::size_t group_pools = 0;  // each member inserts from its own thread's pools
    std::size_t group_bytes = 0;  // what the group writes: the delayed write rate's measure
    if (batch != nullptr) {
      // Inserts race on a key only between the members of a group, and
      // without a budget with the groups before it (MakeRoom lets them
      // overlap); a budgeted group of one inserts alone.
      const bool racing = own.members.size() > 1 || options_.memory_budget == nullptr;
      for (const WriteQueue::Writer* m : own.members) {
        need += MemoryNeed(*m->batch, m->OutsideBytes());
        reserve += ReserveNeed(*m->batch, m->OutsideBytes(), racing);
        group_pools += m->pools;
        group_bytes += m->Bytes();
      }
    }
    own.need = need;
    Status s = MakeRoom(need, reserve, group_pools, group_bytes, force_rotate, &w);
    if (s.ok() && batch != nullptr) {
      SequenceNumber next = last_allocated_ + 1;
      bool sync = false;
      for (WriteQueue::Writer* m : own.members) {
        m->batch->SetSequence(next);
        next += m->batch->Count();
        sync = sync || m->sync;
      }
      // A synced write must not survive a crash that loses an earlier write
      // of a log the last rotation left unsynced.
      if (sync) s = SyncOldLogs();  // and the log's directory entry
      own.mem = mem_.mem;
      own.last_sequence = next - 1;
      if (s.ok() && !w.disable_wal) {
        LogWriter* log = log_.get();
        WritableFile* file = log_file_.get();
        const bool defers_old_log_sync = DefersOldLogSync();
        const SequenceNumber first = last_allocated_ + 1;
        const bool marker = first != wal_last_sequence_ + 1;
        lock.Unlock();  // the WAL is the leader's alone until it hands over
        if (marker) {
          // Writes without the WAL took the sequences in between: say so, so
          // that replay tells them from a lost record.
          WriteBatch jump;
          jump.SetSequence(first);
          s = log->AddRecord(jump.Contents());
        }
        const std::uint64_t wal_before = file->Size();
        for (const WriteQueue::Writer* m : own.members) {
          if (!s.ok()) break;
          s = m->outside_value ? log->AddRecord(OutsideValueHead(*m->batch, m->OutsideBytes()),
                                                *m->outside_value)
                               : log->AddRecord(m->batch->Contents());
        }
        if (s.ok()) s = sync ? file->Sync() : file->Flush();
        // Strict recovery modes: every kWalWritebackBytes, the OS starts
        // writing the WAL out, so that the sync at rotation (NewLog, under
        // mu_) finds little to write. Not under point in time, where no
        // rotation syncs: the hint can block for tens of milliseconds when
        // the device's queue is full (a flush writing).
        if (s.ok() && !sync && !defers_old_log_sync &&
            wal_before / kWalWritebackBytes != file->Size() / kWalWritebackBytes) {
          file->StartWriteback();
        }
        // The group is in the WAL (if s is OK) and in no memtable yet.
        ARENAKV_SYNC_POINT("DBImpl::WriteImpl:WalWritten");
        lock.Lock();
        // The log may end in a torn record now: no write may follow it.
        if (!s.ok()) SetBackgroundError(s, ErrorSeverity::kFatal);
      }
      if (s.ok()) {
        last_allocated_ = own.last_sequence;
        if (w.disable_wal) {
          unlogged_writes_ = true;  // Close() flushes them
        } else {
          wal_last_sequence_ = own.last_sequence;
          wal_has_records_ = true;
        }
      }
    }
    if (!s.ok() || batch == nullptr) {
      write_queue_.FinishEarly(&own, &w, s);
      return s;
    }
    write_queue_.StartInserts(&own, &w);
  }

  // Every member inserts its own batch, concurrently with the others.
  lock.Unlock();
  ARENAKV_SYNC_POINT_CALLBACK(
      "DBImpl::WriteImpl:BeforeInsert",
      w.batch);  // arg: WriteBatch* (a large Put's holds an empty value: Writer::outside_value)
  Status s = InsertBatch(group->mem.get(), *w.batch, w.outside_value);
  ARENAKV_SYNC_POINT_CALLBACK("DBImpl::WriteImpl:AfterInsert", &s);  // arg: Status*
  lock.Lock();
  w.status = s;
  // The WAL has the batch but the memtable refused it: only a reopen (which
  // replays the WAL) can make them agree again.
  if (!s.ok()) {
    const Status error = Status::MemoryLimit("memtable insert failed: " + s.message());
    if (!group->failed) group->error = error;
    group->failed = true;
    SetBackgroundError(error, ErrorSeverity::kFatal);
  }
  // Groups are published in the order they started. A failed group stays
  // invisible (publishing its sequence would show part of a batch), and so
  // do the groups after it; the background error stops every later write.
  if (const auto last = write_queue_.InsertDone(&w)) {
    last_sequence_.store(*last, std::memory_order_release);
  }
  // The leader's Group lives on its stack: the leader is done only when its
  // group is retired.
  w.Await(&mu_, [&] { return w.done; });
  return w.status;
}

}  // namespace arenakv
