// SPDX-License-Identifier: Apache-2.0
// DBImpl: the engine behind arenakv::DB (mvcc/include/arenakv/mvcc/db.h).
//
// Write path (group commit)
//   Writers queue up in writers_. The writer at the front is the leader: it
//   makes room in the memtable (rotating it, or stalling while
//   max_write_buffer_number memtables are full), gives the group (itself and
//   the writers queued behind it, up to a size limit) consecutive sequence
//   numbers, and, without holding mu_, appends each batch to the WAL as one
//   record and syncs once if any member asked for sync (first syncing any
//   old log a rotation left unsynced). Then every member inserts its own
//   batch into the memtable concurrently, while the next leader already
//   forms, logs and starts the next group (write_queue.h: pipelined). Groups
//   retire in start order; the last member of the oldest unfinished group
//   publishes its last sequence (release). A reader that loads
//   last_sequence_ (acquire) sees every write up to it.
//
// Read path
//   A ReadView bundles the active memtable, the immutable ones (newest first)
//   and the current Version; it is swapped whole (under view_mu_) at rotation
//   and after each flush and compaction. Get and NewIterator take the view
//   and the read sequence together under view_mu_ (ViewAt), so
//     - the view holds every write the sequence covers (a rotation or flush
//       cannot slip in between), and
//     - a view that holds a flush's or compaction's output comes with a
//       sequence at least as new as the one that job collected garbage
//       against: no version such a reader needs was dropped (KeyHistoryGc).
//   Iterators keep their view (and so its memtables' arenas and its files)
//   alive. One with ReadOptions::auto_refresh_iterator (the default) moves
//   to the newest view at its next Seek*/SeekTo* once a newer one is
//   installed, at its own older sequence: it pins that sequence as a
//   snapshot first (PinSequence, under pins_mu_, which LiveSequences also
//   takes), so every job that starts later keeps what it sees, and every
//   job that started earlier collected garbage against a newest sequence no
//   newer than it, which keeps the newest version of each key
//   (db_impl_read.cc, RefreshingIterator).
//
// Background work (mvcc/db/db_impl_background.cc)
//   max_background_jobs threads: the first flushes the oldest immutable
//   memtable whenever there is one (flushes go one at a time, oldest first);
//   the others start the compaction the CompactionPicker finds most needed
//   while fewer than max(1, max_background_jobs - 1) run, else wait. (A
//   single thread does both, flushes first.) Flushes
//   and compactions record their edit in the manifest and install a new view.
//   A failure becomes a sticky background error: later writes return it;
//   reads keep working. CompactRange runs its compactions in the caller's
//   thread, registered with the same picker.
//
// Write stalls: while level 0 holds level0_slowdown_writes_trigger files,
// write groups are held to a rate (write_delay.h: Options::delayed_write_rate,
// lowered while level 0 keeps growing); a leader waits for its turn in slices
// and goes ahead as soon as level 0 is back under the trigger. At
// level0_stop_writes_trigger files, and while max_write_buffer_number
// memtables are full, it waits for background work. Writes wait, never fail.
//
// Locking: mu_ guards the write queue, the memtable list, the WAL handles,
// bg_error_, snapshots_, the picker and the statistics; it is never held
// during I/O or memtable inserts (except a rotation's WAL creation, and in
// the strict recovery modes the old WAL's sync).
// view_mu_ guards only the view pointer, pins_mu_ only the refreshing
// iterators' sequences. Lock order: mu_ before view_mu_, mu_ before pins_mu_.
// The fields say which mutex guards them (ARENAKV_GUARDED_BY) and clang's
// -Wthread-safety checks it (scripts/test.sh, stage thread-safety).
//
// The parts live in their own files: write_queue.* (the group-commit queue),
// db_impl.cc (open, memtables, the write path), db_impl_read.cc (reads),
// recovery.cc (recovery, obsolete files, DestroyDB), db_impl_background.cc,
// db_impl_properties.cc and db_stats.* (the statistics).
#ifndef ARENAKV_MVCC_DB_DB_IMPL_H_
#define ARENAKV_MVCC_DB_DB_IMPL_H_

#include <arenakv/mvcc/db.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "arenakv/base/mutex.h"
#include "mvcc/compaction/compaction.h"
#include "mvcc/db/db_stats.h"
#include "mvcc/db/write_delay.h"
#include "mvcc/db/write_queue.h"
#include "mvcc/env/filename.h"
#include "mvcc/env/info_log.h"
#include "mvcc/iter/internal_iterator.h"
#include "mvcc/log/log_writer.h"
#include "mvcc/memtable/memtable.h"
#include "mvcc/memtable/memtable_recycler.h"
#include "mvcc/table/block_cache.h"
#include "mvcc/version/version_set.h"

namespace arenakv {

// What a reader sees: memtables and files, swapped whole.
struct ReadView {
  MemTableRef mem;
  std::vector<MemTableRef> imm;  // newest first
  VersionRef version;
};

// "point-in-time", ...: the name "arenakv.recovery" and the OPTIONS file use.
std::string_view WalRecoveryModeName(WALRecoveryMode mode);

class DBImpl final : public DB {
 public:
  // Links in a memtable reach 16 GiB of its arena (CompactRefs::kSpan); stay
  // well below that.
  static constexpr std::size_t kMaxMemTableCapacity = std::size_t{8} << 30;
  // Options::max_open_files: descriptors kept for files other than table
  // readers (WAL, manifest, LOG, LOCK, outputs being written), and the
  // smallest bounded value accepted.
  static constexpr int kReservedOpenFiles = 10;
  // WAL bytes between two WritableFile::StartWriteback hints.
  static constexpr std::uint64_t kWalWritebackBytes = 1 << 20;
  static constexpr int kMinMaxOpenFiles = 20;
  // With a memory budget: how long a write waits for room while nothing this
  // DB holds can be freed, before it gets MemoryLimit.
  static constexpr std::chrono::seconds kBudgetWaitLimit{1};
  // ... of which the first part may go to evicting from the block cache.
  static constexpr std::chrono::milliseconds kBudgetShedLimit{100};

  DBImpl(const Options& options, std::string path, bool read_only);
  ~DBImpl() override;

  // Opens or creates the DB: lock, recover, replay the WALs, start a new WAL.
  Status OpenImpl();

  Status Put(const WriteOptions& options, std::string_view key, std::string_view value) override;
  Status Delete(const WriteOptions& options, std::string_view key) override;
  Status Write(const WriteOptions& options, WriteBatch* batch) override;
  Status Get(const ReadOptions& options, std::string_view key, std::string* value) override;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) override;
  const Snapshot* GetSnapshot() override;
  void ReleaseSnapshot(const Snapshot* snapshot) override;
  Status Flush() override;
  Status CompactRange(std::optional<std::string_view> begin,
                      std::optional<std::string_view> end) override;
  bool GetProperty(std::string_view name, std::string* value) override;
  Status Close() override;
  Status GetDbIdentity(std::string* identity) const override;
  Status VerifyChecksum() override;
  Status Resume() override;
  using DB::VerifyChecksum;
  // In mvcc/txn/transaction_impl.cc.
  std::unique_ptr<Transaction> BeginTransaction(const WriteOptions& options,
                                                const TransactionOptions& txn_options) override;

  // For transactions (mvcc/txn/).
  const Options& options() const { return options_; }
  // The recycled arenas of transactions' write sets (mvcc/txn/):
  // each of kTransactionIndexCapacity, keeping kTransactionIndexKeepBytes
  // when idle, at most kIdleTransactionArenas idle (charged to the budget as
  // transactions; a writer the budget stalls drops them).
  static constexpr std::size_t kTransactionIndexCapacity = std::size_t{16} << 20;
  static constexpr std::size_t kTransactionIndexKeepBytes = std::size_t{256} << 10;
  static constexpr std::size_t kIdleTransactionArenas = 8;
  ArenaCache* TransactionArenas() const { return transaction_arenas_.get(); }
  // Every memtable and table of the view a read at `options` uses, merged
  // (internal keys, every version); *view keeps them alive and *sequence is
  // the read's sequence.
  std::unique_ptr<InternalIterator> NewInternalIterator(const ReadOptions& options,
                                                        SequenceNumber* sequence,
                                                        std::shared_ptr<const ReadView>* view);
  // The same over a given view.
  static std::unique_ptr<InternalIterator> NewInternalIteratorOver(const ReadView& view,
                                                                   bool verify_checksums);

  // For an iterator that refreshes its view (ReadOptions::auto_refresh_iterator):
  // PinSequence registers the read's sequence as a snapshot and returns it,
  // so no flush or compaction from now on drops a version it sees (those
  // already running collect garbage against an older newest sequence, which
  // keeps the newest version of every key); UnpinSequence takes it back.
  SequenceNumber PinSequence(const ReadOptions& options) ARENAKV_EXCLUDES(pins_mu_);
  void UnpinSequence(SequenceNumber sequence) ARENAKV_EXCLUDES(pins_mu_);
  // The current view and its generation, taken together; the generation
  // grows by one each time a view is installed.
  std::shared_ptr<const ReadView> CurrentView(std::uint64_t* generation) const
      ARENAKV_EXCLUDES(view_mu_);
  std::uint64_t view_generation() const { return view_generation_.load(std::memory_order_relaxed); }
  void CountIteratorRefresh() { iterator_refreshes_.fetch_add(1, std::memory_order_relaxed); }
  // Takes a view a refreshing iterator let go of. If that was its last
  // reference, a background thread drops it (deleting compacted files and
  // releasing flushed memtables there, not in the reader's Seek); else, or
  // once the DB shuts down, it is dropped here.
  void RetireView(std::shared_ptr<const ReadView> view) ARENAKV_EXCLUDES(mu_);
  // Write(), with a check run first by the write leader alone, without mu_,
  // once every earlier write is in the memtable (NewInternalIterator sees
  // it) and before anything of this one is logged; no other write can come
  // between the check and this write. A non-OK check writes nothing and is
  // returned. With `outside_value`, the batch is one Put whose value that
  // is (mvcc/db/outside_value.h).
  Status WriteValidated(const WriteOptions& options, WriteBatch* batch,
                        const std::function<Status()>& validate,
                        std::optional<std::string_view> outside_value = std::nullopt);

 private:
  // A thread waiting in Flush, Resume or Close until stats_.flushes reaches
  // `target`. A flush that fails while stats_.flushes < target is one it
  // waits for: FlushOldest records the error here, so the waiter hears of it
  // even if an automatic resume clears the background error and retries
  // before the waiter wakes up.
  struct FlushWaiter {
    std::uint64_t target = UINT64_MAX;  // not known yet: every failure counts
    Status error;                       // the first failure it waited for
  };
  struct MemTableSlot {
    MemTableRef mem;
    std::uint64_t log_number;  // the WAL holding its writes
  };
  // Counts live memtable arenas and released ones, for the arena-stats property.
  struct ArenaRegistry {
    std::mutex mu;
    std::set<const MemTable*> live;
    std::uint64_t released = 0;
  };

  Status CheckBatch(const WriteBatch& batch) const;
  // pools: MemTable::InsertPools of the batch (0 without one).
  // validate, outside_value: see WriteValidated.
  Status WriteImpl(const WriteOptions& options, WriteBatch* batch, bool force_rotate,
                   std::size_t pools = 0, const std::function<Status()>* validate = nullptr,
                   std::optional<std::string_view> outside_value = std::nullopt)
      ARENAKV_EXCLUDES(mu_);
  // Leader only: ensures the memtable can take `need` bytes allocated from
  // `pools` pools (MemTable::InsertPools), and (with a memory budget)
  // reserves what their inserts may commit. Anything that changes the
  // memtable first waits for the groups still inserting (`leader` waits).
  // At the level-0 slowdown trigger the group's `bytes` (its batches) are
  // charged to the delayed write rate.
  // `reserve`: what the budget reserves for them (ReserveNeed), `need`
  // what the arena's capacity must hold (MemoryNeed).
  Status MakeRoom(std::size_t need, std::size_t reserve, std::size_t pools, std::size_t bytes,
                  bool force_rotate, WriteQueue::Writer* leader) ARENAKV_REQUIRES(mu_);
  // The budget refused `bound` bytes for the next group's inserts (`need`
  // bytes of data): frees what this DB can, one step per call (evict from
  // the block cache, flush early, wait for flushes). OK: try again.
  Status RelieveBudget(std::size_t bound, std::size_t need,
                       std::optional<std::chrono::steady_clock::time_point>* stuck_since)
      ARENAKV_REQUIRES(mu_);
  // The active memtable becomes immutable; a new one and a new WAL take over.
  Status Rotate(std::size_t need) ARENAKV_REQUIRES(mu_);
  Status NewMemTable(std::size_t need, MemTableRef* mem);
  // "arenakv.memory"
  std::string MemoryString() ARENAKV_EXCLUDES(mu_);
  std::size_t MemTableCapacity(std::size_t need) const;
  static bool HasSpace(const MemTable& mem, std::size_t need);
  // write_buffer_size reached, or (with a memory budget) its share of it.
  bool MemTableFull(const MemTable& mem) const;
  // With a memory budget, the memtable usage at which MemTableFull says
  // full (7/8 of the budget's share of one write buffer); SIZE_MAX without.
  std::size_t BudgetFlushBytes() const;
  // The memtable bytes inserting `batch` may take, for the arena's capacity
  // (HasSpace, MemTableCapacity: the capacity / 4 they keep free covers the
  // slab rounding and commit steps); `outside_bytes`: its outside value's
  // size.
  static std::size_t MemoryNeed(const WriteBatch& batch, std::size_t outside_bytes = 0);
  // The same as a strict bound, for the budget's reservation (with
  // MemTable::InsertBound): the chunks' slab sizes. racing: other threads
  // may insert the same keys meanwhile (MemTable::AddBound).
  static std::size_t ReserveNeed(const WriteBatch& batch, std::size_t outside_bytes, bool racing);
  // At Open (alone) or under mu_ (rotation): the WAL handles are mu_'s.
  // Under point-in-time (and skip-any) recovery the old log is not synced
  // here: it joins old_logs_, and the new log starts with a predecessor
  // marker (mvcc/db/wal_marker.h).
  Status NewLog(std::uint64_t* number) ARENAKV_REQUIRES(mu_);
  bool DefersOldLogSync() const;
  // Write leader only (so never two at once): syncs and closes every old
  // log, then syncs the directory if the current log's name is not yet
  // durable, letting go of mu_ meanwhile. A failure is a fatal background
  // error.
  Status SyncOldLogs() ARENAKV_REQUIRES(mu_);
  // Takes out the old logs numbered below `number` (flushed: the caller
  // closes them, unsynced, without mu_, and deletes their files); waits for
  // a sync in progress first.
  struct OldLog;
  std::vector<OldLog> TakeOldLogsBefore(std::uint64_t number) ARENAKV_REQUIRES(mu_);
  void InstallView() ARENAKV_REQUIRES(mu_);
  std::shared_ptr<const ReadView> view() const ARENAKV_EXCLUDES(view_mu_);
  // The view and the sequence a read at `options` uses, taken together.
  std::shared_ptr<const ReadView> ViewAt(const ReadOptions& options, SequenceNumber* sequence) const
      ARENAKV_EXCLUDES(view_mu_);

  // What a background thread runs. With one thread it does both; with more,
  // thread 0 only flushes and the others only compact (RocksDB's high and
  // low priority pools), so that a flush never waits behind a compaction or
  // the deletion of its inputs (hundreds of milliseconds for large files).
  enum class BackgroundRole : std::uint8_t { kAll, kFlushes, kCompactions };
  BackgroundRole RoleOf(int thread) const {
    if (options_.max_background_jobs == 1) return BackgroundRole::kAll;
    return thread == 0 ? BackgroundRole::kFlushes : BackgroundRole::kCompactions;
  }
  void BackgroundLoop(BackgroundRole role) ARENAKV_EXCLUDES(mu_);
  Status FlushOldest() ARENAKV_REQUIRES(mu_);
  // Waits until stats_.flushes reaches w->target (w registered in
  // flush_waiters_ by the caller). OK, or the error of a flush it waited for
  // (also one retried with success since), or the background error that
  // stops the flushes, or Busy when the DB closes first. With
  // through_retries (Close), a failure with an automatic resume pending does
  // not end the wait, and only the outcome counts.
  Status WaitForFlushes(FlushWaiter* w, bool through_retries) ARENAKV_REQUIRES(mu_);
  // Flush(), or with through_retries what Close() runs.
  Status FlushAndWait(bool through_retries) ARENAKV_EXCLUDES(mu_);
  // Runs `c` (from the picker) without mu_, installs it, releases it from the
  // picker and wakes waiters. A failure other than shutdown becomes the
  // background error.
  Status RunCompaction(const Compaction& c) ARENAKV_REQUIRES(mu_);
  // mu_ held on entry and return: destroys *c without mu_. Its Version may
  // be the last to hold the inputs, whose files are then deleted.
  void DropOutsideLock(std::optional<Compaction>* c) ARENAKV_REQUIRES(mu_);
  // The live snapshots, the refreshing iterators' sequences and the newest
  // sequence.
  std::vector<SequenceNumber> LiveSequences() const ARENAKV_REQUIRES(mu_);
  TableOptions TableOptionsForLevel(int level) const;
  int MaxCompactions() const { return std::max(1, options_.max_background_jobs - 1); }
  // True while a flush or compaction is queued or running, or retired views
  // wait to be dropped.
  bool BackgroundWorkPending() const ARENAKV_REQUIRES(mu_);
  // The text of "arenakv.stats" for `version`.
  std::string StatsString(const Version& version) const ARENAKV_REQUIRES(mu_);
  // The text of "arenakv.recovery".
  std::string RecoveryString() const;
  // How bad a background error is (RocksDB's ErrorHandler severities; the
  // rules are in mvcc/db/error_handler.cc).
  enum class ErrorSeverity : std::uint8_t { kNone, kRetryable, kFatal };
  // Records `s` unless an error at least as severe is already recorded;
  // schedules an automatic resume for NoSpace.
  void SetBackgroundError(const Status& s, ErrorSeverity severity) ARENAKV_REQUIRES(mu_);
  // The severity of a flush's or compaction's error from before its manifest
  // edit (after it, the manifest may be damaged: kFatal).
  static ErrorSeverity JobErrorSeverity(const Status& s);
  static const char* SeverityName(ErrorSeverity severity);
  // Clears a retryable error (`automatic`: the NoSpace backoff ran out).
  void ClearBackgroundError(bool automatic) ARENAKV_REQUIRES(mu_);
  // BackgroundLoop, with an error recorded: clears it if its automatic
  // resume is due (true), else waits until it is or something changes.
  bool AutoResumeOrWait() ARENAKV_REQUIRES(mu_);

  Status Recover() ARENAKV_EXCLUDES(mu_);
  Status FinishReadOnlyOpen(std::vector<MemTableRef> kept) ARENAKV_EXCLUDES(mu_);
  static std::string ParentDirectory(const std::string& path);
  bool HoldsData(const std::string& name, FileType type) const;
  // Replays `logs` into memtables. A full memtable is flushed to a table
  // (added to *edit and *added) or, read-only, kept in *kept.
  Status ReplayLogs(const std::vector<std::uint64_t>& logs, VersionEdit* edit,
                    std::vector<TableFileRef>* added, std::vector<MemTableRef>* kept);
  // Point-in-time recovery stopped in logs[index] at damage at `offset`
  // (`readable`: a record that passed its checksum): counts what the rest of
  // that log and the later logs held, none of which is applied.
  void DropRestOfLogs(const std::vector<std::uint64_t>& logs, std::size_t index,
                      std::uint64_t offset, bool readable, const std::string& reason);
  // Removes the DB files for which obsolete(type, number) is true.
  void RemoveFiles(const std::function<bool(FileType, std::uint64_t)>& obsolete);
  // At Open only: every table not in the version goes.
  void DeleteObsoleteFiles() ARENAKV_EXCLUDES(mu_);

  const Options options_;
  const std::string path_;
  const bool read_only_;  // DB::OpenForReadOnly: no LOCK, nothing written
  FileSystem* const fs_;
  std::unique_ptr<BlockCache> cache_;
  // Memtables whose arenas are recycled (memtable_recycler.h): every one
  // made for a batch needing at most kRecyclableNeed bytes.
  static constexpr std::size_t kRecyclableNeed = std::size_t{1} << 20;
  std::shared_ptr<MemTableRecycler> memtables_;
  std::shared_ptr<ArenaCache> transaction_arenas_;  // set by the constructor
  std::unique_ptr<VersionSet> versions_;
  std::unique_ptr<FileLock> lock_file_;
  std::shared_ptr<ArenaRegistry> arenas_ = std::make_shared<ArenaRegistry>();
  std::string db_id_;  // IDENTITY's; set by Open, constant after
  // The info log (LOG); set by Open before recovery, constant after; null if
  // it could not be created. Thread-safe.
  std::unique_ptr<InfoLog> info_log_;
  std::uint64_t options_file_number_ = 0;  // OPTIONS-<n>; set by Open, constant after
  // What Open's WAL replay did ("arenakv.recovery"); set by Open, constant after.
  struct RecoveryReport {
    std::uint64_t logs = 0;             // WALs replayed
    std::uint64_t records = 0;          // batches applied
    std::uint64_t torn_tail_bytes = 0;  // a torn last record, dropped as a crash leaves it
    std::uint64_t dropped_records = 0;  // damaged (or, after a stop, unreplayed) records
    std::uint64_t dropped_bytes = 0;
    std::string stopped_at;  // point-in-time: where replay stopped, and why
  } recovery_;

  Mutex mu_;
  CondVar bg_cv_{&mu_};  // background work queued or finished
  WriteQueue write_queue_ ARENAKV_GUARDED_BY(mu_);
  MemTableSlot mem_ ARENAKV_GUARDED_BY(mu_);
  std::deque<MemTableSlot> imm_ ARENAKV_GUARDED_BY(mu_);  // newest first
  std::unique_ptr<WritableFile> log_file_ ARENAKV_GUARDED_BY(mu_);
  std::unique_ptr<LogWriter> log_ ARENAKV_GUARDED_BY(mu_);
  // Logs replaced by a rotation and not yet synced, oldest first. A synced
  // write syncs them before its own log; a flush closes those it makes
  // obsolete.
  struct OldLog {
    std::uint64_t number;
    std::unique_ptr<WritableFile> file;
  };
  std::deque<OldLog> old_logs_ ARENAKV_GUARDED_BY(mu_);
  bool syncing_old_logs_ ARENAKV_GUARDED_BY(mu_) = false;  // taken out of old_logs_, in sync
  // The current log's name may not be durable yet (rotation left the
  // directory sync to the next synced write).
  bool log_dir_unsynced_ ARENAKV_GUARDED_BY(mu_) = false;
  bool wal_has_records_ ARENAKV_GUARDED_BY(mu_) = false;  // the current log holds a batch
  Status bg_error_ ARENAKV_GUARDED_BY(mu_);
  ErrorSeverity bg_error_severity_ ARENAKV_GUARDED_BY(mu_) = ErrorSeverity::kNone;
  // NoSpace: automatic resumes since the last success, and when the next is due.
  int auto_resumes_ ARENAKV_GUARDED_BY(mu_) = 0;
  std::optional<std::chrono::steady_clock::time_point> auto_resume_at_ ARENAKV_GUARDED_BY(mu_);
  std::uint64_t resumes_ ARENAKV_GUARDED_BY(mu_) = 0;  // errors cleared, by Resume or automatically
  std::vector<FlushWaiter*> flush_waiters_ ARENAKV_GUARDED_BY(mu_);  // see FlushWaiter
  bool flush_running_ ARENAKV_GUARDED_BY(mu_) = false;
  // Compactions in DropOutsideLock, and background threads dropping retired views.
  int inputs_dropping_ ARENAKV_GUARDED_BY(mu_) = 0;
  bool shutting_down_ ARENAKV_GUARDED_BY(mu_) = false;
  bool closed_ ARENAKV_GUARDED_BY(mu_) = false;  // Close() ran: writes are refused
  // A write skipped the WAL since Open: Close() flushes the memtables.
  bool unlogged_writes_ ARENAKV_GUARDED_BY(mu_) = false;
  std::atomic<bool> stop_jobs_{false};  // set with shutting_down_; polled by running jobs
  std::multiset<SequenceNumber> snapshots_ ARENAKV_GUARDED_BY(mu_);
  // Views for a background thread to drop (RetireView); Close drops what is left.
  std::vector<std::shared_ptr<const ReadView>> retired_views_ ARENAKV_GUARDED_BY(mu_);
  std::unique_ptr<CompactionPicker> picker_ ARENAKV_PT_GUARDED_BY(mu_);
  int manual_compactions_ ARENAKV_GUARDED_BY(mu_) = 0;  // CompactRange calls in progress
  DBStats stats_ ARENAKV_GUARDED_BY(mu_);               // shown by "arenakv.stats"
  WriteDelay write_delay_ ARENAKV_GUARDED_BY(mu_);      // the rate at the slowdown trigger

  // The sequence of the newest write whose group has fully inserted.
  std::atomic<SequenceNumber> last_sequence_{0};
  SequenceNumber last_allocated_ ARENAKV_GUARDED_BY(mu_) = 0;  // sequences given to groups so far
  // The last sequence the current WAL accounts for: a group whose first
  // sequence does not follow it (writes without the WAL came between) first
  // logs a marker (an empty batch) so that replay can check continuity.
  SequenceNumber wal_last_sequence_ ARENAKV_GUARDED_BY(mu_) = 0;

  // The sequences refreshing iterators read at (PinSequence): snapshots of
  // their own, in LiveSequences beside snapshots_. Their own mutex, so that
  // creating an iterator never waits for mu_ (held through a rotation's WAL
  // creation).
  mutable Mutex pins_mu_ ARENAKV_ACQUIRED_AFTER(mu_);
  std::multiset<SequenceNumber> iterator_pins_ ARENAKV_GUARDED_BY(pins_mu_);
  std::atomic<std::uint64_t> iterator_refreshes_{0};

  mutable Mutex view_mu_;
  std::shared_ptr<const ReadView> view_ ARENAKV_GUARDED_BY(view_mu_);
  // Bumped under view_mu_ with each new view; read without it (relaxed) by
  // iterators as a hint that a newer view exists.
  std::atomic<std::uint64_t> view_generation_{0};

  std::vector<std::thread> bg_threads_;
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_DB_DB_IMPL_H_
