// DBImpl: the engine behind arenakv::DB (mvcc/include/arenakv/mvcc/db.h).
//
// Write path (group commit)
//   Writers queue up in writers_. The writer at the front is the leader: it
//   makes room in the memtable (rotating it, or stalling while
//   max_write_buffer_number memtables are full), gives the group (itself and
//   the writers queued behind it, up to a size limit) consecutive sequence
//   numbers, and, without holding mu_, appends each batch to the WAL as one
//   record and syncs once if any member asked for sync. Then every member
//   inserts its own batch into the memtable concurrently; the last one to
//   finish publishes the group's last sequence (release) and hands the queue
//   to the next leader. Groups are thus published in order, and a reader that
//   loads last_sequence_ (acquire) sees every write up to it.
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
//       against: no version such a reader needs was dropped (VersionGc).
//   Iterators keep their view (and so its memtables' arenas and its files)
//   alive.
//
// Background work (mvcc/db/db_impl_background.cc)
//   max_background_jobs threads share one loop: flush the oldest immutable
//   memtable if no flush is running (flushes go one at a time, oldest first),
//   else start the compaction the CompactionPicker finds most needed if fewer
//   than max(1, max_background_jobs - 1) compactions run, else wait. Flushes
//   and compactions record their edit in the manifest and install a new view.
//   A failure becomes a sticky background error: later writes return it;
//   reads keep working. CompactRange runs its compactions in the caller's
//   thread, registered with the same picker.
//
// Write stalls: while level 0 holds level0_slowdown_writes_trigger files,
// each write group's leader first sleeps 1 ms (once); at
// level0_stop_writes_trigger files, and while max_write_buffer_number
// memtables are full, it waits for background work. Writes wait, never fail.
//
// Locking: mu_ guards writers_, the memtable list, the WAL handles, bg_error_,
// snapshots_, the picker and the statistics; it is never held during I/O or
// memtable inserts (except a rotation's WAL creation). view_mu_ guards only
// the view pointer. Lock order: mu_ before view_mu_.
#ifndef ARENAKV_MVCC_DB_DB_IMPL_H_
#define ARENAKV_MVCC_DB_DB_IMPL_H_

#include <arenakv/mvcc/db.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mvcc/compaction/compaction.h"
#include "mvcc/env/filename.h"
#include "mvcc/log/log_writer.h"
#include "mvcc/memtable/memtable.h"
#include "mvcc/table/block_cache.h"
#include "mvcc/version/version_set.h"

namespace arenakv {

// What a reader sees: memtables and files, swapped whole.
struct ReadView {
  MemTableRef mem;
  std::vector<MemTableRef> imm;  // newest first
  VersionRef version;
};

class DBImpl final : public DB {
 public:
  DBImpl(const Options& options, std::string path);
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

 private:
  struct Writer;
  struct Group;
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
  Status WriteImpl(const WriteOptions& options, WriteBatch* batch, bool force_rotate);
  // Leader only, mu_ held: ensures the memtable can take `need` bytes.
  Status MakeRoom(std::unique_lock<std::mutex>& lock, std::size_t need, bool force_rotate);
  // mu_ held: the active memtable becomes immutable; a new one and a new WAL
  // take over.
  Status Rotate(std::size_t need);
  Status NewMemTable(std::size_t need, MemTableRef* mem);
  std::size_t MemTableCapacity(std::size_t need) const;
  static bool HasSpace(const MemTable& mem, std::size_t need);
  static std::size_t MemoryNeed(const WriteBatch& batch);
  Status NewLog(std::uint64_t* number);
  void InstallView();  // requires mu_
  std::shared_ptr<const ReadView> view() const;
  // The view and the sequence a read at `options` uses, taken together.
  std::shared_ptr<const ReadView> ViewAt(const ReadOptions& options,
                                         SequenceNumber* sequence) const;

  void BackgroundLoop();
  // Writes `mem` to a new level-0 table, keeping the versions some reader at
  // one of `sequences` may see (VersionGc); none if nothing is left, and
  // *file is null then.
  Status WriteTable(const MemTableRef& mem, std::vector<SequenceNumber> sequences,
                    TableFileRef* file, FileMetaData* meta);
  Status FlushOldest(std::unique_lock<std::mutex>& lock);
  // Runs `c` (from the picker) without mu_, installs it, releases it from the
  // picker and wakes waiters. A failure other than shutdown becomes the
  // background error.
  Status RunCompaction(std::unique_lock<std::mutex>& lock, const Compaction& c);
  // mu_ held on entry and return: destroys *c without mu_. Its Version may
  // be the last to hold the inputs, whose files are then deleted.
  void DropOutsideLock(std::unique_lock<std::mutex>& lock, std::optional<Compaction>* c);
  // mu_ held: the live snapshots and the newest sequence.
  std::vector<SequenceNumber> LiveSequences() const;
  TableOptions TableOptionsForLevel(int level) const;
  int MaxCompactions() const { return std::max(1, options_.max_background_jobs - 1); }
  // mu_ held: true while a flush or compaction is queued or running.
  bool BackgroundWorkPending() const;
  // mu_ held: the text of "arenakv.stats" for `version`.
  std::string StatsString(const Version& version) const;
  void SetBackgroundError(const Status& s);  // requires mu_
  // For the statistics: microseconds from `start` to now.
  static std::uint64_t MicrosSince(std::chrono::steady_clock::time_point start) {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::steady_clock::now() - start)
                                          .count());
  }

  Status Recover();
  bool HoldsData(const std::string& name, FileType type) const;
  Status ReplayLogs(std::vector<std::uint64_t> logs, VersionEdit* edit,
                    std::vector<TableFileRef>* added);
  // Removes the DB files for which obsolete(type, number) is true.
  void RemoveFiles(const std::function<bool(FileType, std::uint64_t)>& obsolete);
  void DeleteObsoleteFiles();  // at Open only: every table not in the version goes

  const Options options_;
  const std::string path_;
  FileSystem* const fs_;
  std::unique_ptr<BlockCache> cache_;
  std::unique_ptr<VersionSet> versions_;
  std::unique_ptr<FileLock> lock_file_;
  std::shared_ptr<ArenaRegistry> arenas_ = std::make_shared<ArenaRegistry>();

  std::mutex mu_;
  std::condition_variable bg_cv_;  // background work queued or finished
  std::deque<Writer*> writers_;
  MemTableSlot mem_;
  std::deque<MemTableSlot> imm_;  // newest first
  std::unique_ptr<WritableFile> log_file_;
  std::unique_ptr<LogWriter> log_;
  Status bg_error_;
  bool flush_running_ = false;
  bool shutting_down_ = false;
  std::atomic<bool> stop_jobs_{false};  // set with shutting_down_; polled by running jobs
  std::multiset<SequenceNumber> snapshots_;
  std::unique_ptr<CompactionPicker> picker_;
  int manual_compactions_ = 0;  // CompactRange calls in progress

  // Statistics (mu_), shown by "arenakv.stats".
  struct CompactionStats {
    std::uint64_t count = 0;
    std::uint64_t trivial_moves = 0;
    std::uint64_t bytes_read_level = 0;   // from the input level
    std::uint64_t bytes_read_output = 0;  // from this (the output) level
    std::uint64_t bytes_written = 0;
    std::uint64_t files_written = 0;
    std::uint64_t dropped_entries = 0;
    std::uint64_t micros = 0;
  };
  std::array<CompactionStats, kNumLevels> compaction_stats_;  // by output level
  std::uint64_t flushes_ = 0;
  std::uint64_t flush_bytes_written_ = 0;
  std::uint64_t flush_micros_ = 0;
  std::uint64_t memtable_stalls_ = 0;  // waits while every memtable was full
  std::uint64_t l0_slowdowns_ = 0;     // 1 ms delays at level0_slowdown_writes_trigger
  std::uint64_t l0_stops_ = 0;         // waits at level0_stop_writes_trigger
  std::uint64_t stall_micros_ = 0;     // time writers spent in all three

  // The sequence of the newest write whose group has fully inserted.
  std::atomic<SequenceNumber> last_sequence_{0};
  SequenceNumber last_allocated_ = 0;  // mu_: sequences given to groups so far

  mutable std::mutex view_mu_;
  std::shared_ptr<const ReadView> view_;

  std::vector<std::thread> bg_threads_;
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_DB_DB_IMPL_H_
