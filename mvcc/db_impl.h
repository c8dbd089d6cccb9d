// DBImpl: the engine behind arenakv::DB (include/arenakv/mvcc/db.h).
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
//   and after each flush. Get and NewIterator load the sequence first, then
//   the view, so the view holds every write the sequence covers. Iterators
//   keep their view (and so its memtables' arenas and its files) alive.
//
// Background work
//   One thread flushes immutable memtables, oldest first, to level-0 tables,
//   records each in the manifest and installs a new view. A failure becomes a
//   sticky background error: later writes return it; reads keep working.
//
// Locking: mu_ guards writers_, the memtable list, the WAL handles, bg_error_
// and snapshots_; it is never held during I/O or memtable inserts. view_mu_
// guards only the view pointer. Lock order: mu_ before view_mu_.
#ifndef ARENAKV_MVCC_DB_IMPL_H_
#define ARENAKV_MVCC_DB_IMPL_H_

#include <arenakv/mvcc/db.h>

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

#include "mvcc/block_cache.h"
#include "mvcc/filename.h"
#include "mvcc/log_writer.h"
#include "mvcc/memtable.h"
#include "mvcc/version_set.h"

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
  SequenceNumber ReadSequence(const ReadOptions& options) const;

  void BackgroundLoop();
  // Writes `mem` to a new level-0 table (none if it is empty); *file is null then.
  Status WriteTable(const MemTableRef& mem, TableFileRef* file, FileMetaData* meta);
  Status FlushOldest(std::unique_lock<std::mutex>& lock);
  void SetBackgroundError(const Status& s);  // requires mu_

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
  std::multiset<SequenceNumber> snapshots_;
  std::uint64_t stalls_ = 0;
  std::uint64_t flushes_ = 0;

  // The sequence of the newest write whose group has fully inserted.
  std::atomic<SequenceNumber> last_sequence_{0};
  SequenceNumber last_allocated_ = 0;  // mu_: sequences given to groups so far

  mutable std::mutex view_mu_;
  std::shared_ptr<const ReadView> view_;

  std::thread bg_thread_;
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_DB_IMPL_H_
