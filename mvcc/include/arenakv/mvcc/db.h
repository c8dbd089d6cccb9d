// SPDX-License-Identifier: Apache-2.0
// arenakv::DB: the embeddable MVCC key-value store.
//
// Everything a user needs is declared here (DB, Options, ReadOptions,
// WriteOptions, Iterator, Snapshot, Transaction) or included from here (Status, WriteBatch,
// FileSystem). docs/API.md is the manual, with the guarantees; README.md has
// an example.
//
// Thread safety: a DB may be used by any number of threads at once. An
// Iterator is used by one thread at a time. Snapshots are immutable.
//
// Lifetime: destroy every Iterator and Transaction and release every
// Snapshot before the DB.
#ifndef ARENAKV_MVCC_DB_H_
#define ARENAKV_MVCC_DB_H_

#include <arenakv/mvcc/file_system.h>
#include <arenakv/mvcc/memory_budget.h>
#include <arenakv/mvcc/status.h>
#include <arenakv/mvcc/write_batch.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace arenakv {

// How an SST data block is stored on disk (docs/FORMATS.md, "Block trailer").
// A block is kept uncompressed when compression would save less than 1/8.
enum class CompressionType : std::uint8_t { kNone = 0, kLz4 = 1, kZstd = 2 };

// How recovery treats damage in the write-ahead logs (RocksDB's meanings).
// "Torn tail": the last log ends in a record cut short by a crash during an
// append (a header or payload cut short, or zero-filled space at the end).
// "Damage": any other bad record (a checksum mismatch, a bad length or type,
// an undecodable batch), wherever it is. In every mode but the last, a gap in
// the sequence numbers between records (a lost log or region) is Corruption.
enum class WALRecoveryMode : std::uint8_t {
  // A torn tail is dropped; damage anywhere is Corruption (Open fails).
  kTolerateCorruptedTailRecords = 0,
  // A torn tail or damage anywhere is Corruption: for DBs whose every write is
  // synced and that want to hear about any loss at all.
  kAbsoluteConsistency = 1,
  // Replay stops at the first torn or damaged record: everything before it is
  // recovered, nothing after it is applied (also not from later logs), and
  // Open succeeds. The default: a power loss can leave a damaged tail.
  kPointInTimeRecovery = 2,
  // Damaged records are skipped and replay goes on with the next intact one,
  // across sequence gaps: salvage, not consistency (a batch may be lost
  // while later ones are kept).
  kSkipAnyCorruptedRecords = 3,
};

struct Options {
  bool create_if_missing = true;
  bool error_if_exists = false;
  // At Open, refuse (Corruption) a DB whose metadata is damaged or
  // inconsistent: each table's footer, index, filter and properties blocks
  // are read and checksummed, each table's key range must match the
  // manifest's record of it, and the files of each level >= 1 must be
  // disjoint. Data blocks are not read (open time does not grow with the
  // data): DB::VerifyChecksum reads them all. Off: a damaged table is still
  // refused when its footer or index cannot be read. With a bounded
  // max_open_files Open reads no table (it checks only that each file is
  // there at its size): each table gets these checks when first opened, and
  // the read that opens it returns the Corruption.
  bool paranoid_checks = true;
  // Memtable arena budget; when reached the memtable is rotated and flushed.
  std::size_t write_buffer_size = 64 << 20;
  // Memtables (active + immutable) before writes stall until a flush ends.
  // With 1, a full memtable is still handed to the flush and a fresh one
  // created, but writes wait until the flush is done.
  int max_write_buffer_number = 2;
  // Keep a flushed memtable's pages resident for the next memtable instead
  // of unmapping them (at most one idle, holding one write buffer): a
  // quarter of the page faults and a shorter write latency tail, for one
  // more write buffer of resident memory. Measured (fillrandom, 4M x 100 B,
  // 64 MiB buffers): p99 12.8 vs 16.7 us, p99.99 80 vs 130 us, the same
  // throughput, peak RSS 178 vs 114 MiB. Ignored under a memory_budget.
  bool recycle_memtables = false;
  // Ask for transparent huge pages for memtable arenas (ignored under a
  // memory_budget). Point reads from a large memtable are faster (fewer TLB
  // misses: 459K against 407K ops/s measured, 2M keys in one memtable), but
  // where the kernel compacts memory when a huge page is faulted in (THP
  // defrag "madvise", a common default) an insert can stall for 2.5-4.3 ms
  // (fillrandom 1M x 100 B, a quiet round: worst write 3.5-4.3 ms with,
  // 0.37-0.46 ms without; RocksDB 0.48 ms).
  bool memtable_huge_pages = false;
  // Bytes of SST blocks cached in memory; 0 disables the cache.
  std::size_t block_cache_size = 64 << 20;
  // Table files whose readers (a descriptor, the index, filter and
  // properties blocks) are kept open. -1: every file's reader is opened at
  // Open (with paranoid_checks, every table is checked there) and kept for
  // life (with a memory_budget: while the budget has room; without
  // paranoid_checks Open then reads no table, each is opened on first use).
  // Otherwise at least 20: at most max_open_files - 10 readers stay
  // open in an LRU table cache (10 are left for the WAL, manifest, LOG and
  // files being written), each opened on first use and closed when evicted;
  // Open reads no table then (open time does not grow with the data) and
  // checks each one at its first use. A live iterator keeps the readers it
  // uses open past the limit until it is destroyed or moves to a newer view
  // (ReadOptions::auto_refresh_iterator). DB::OpenForReadOnly
  // ignores it and opens every reader at Open, so that tables a writer
  // process deletes afterwards stay readable.
  int max_open_files = -1;
  // One hard limit on the memory this DB (and any other DB given the same
  // budget) holds for data: memtable arenas, block cache entries, open
  // table readers (index, filter and properties blocks) and the table
  // builders of running flushes and compactions are charged to it and never
  // pass it (<arenakv/mvcc/memory_budget.h>). Under a budget, readers
  // are kept in the LRU table cache even with max_open_files -1, opened on
  // first use. When a write does not fit, the DB evicts from its block
  // cache, closes idle table readers (then has the other DBs sharing the
  // budget do both), flushes its memtable early, then waits
  // for flushes (and for running compactions that hold budget for their
  // table builders); a write that still cannot fit after a second with
  // nothing left to free, or needs more than the whole budget, gets
  // MemoryLimit; so
  // does an iterator that needs a reader when nothing is left to free (a Get
  // then opens the reader uncharged, for that call only).
  // Null (the default): no budget. Not charged yet: blocks an iterator reads
  // past a full cache, the blocks a compaction reads (one per input file),
  // and a builder's growth the budget has no room for (a flush or compaction
  // never fails for lack of memory; arenakv.memory counts those bytes). A
  // Put of a large value is logged and inserted from the caller's buffer, so
  // it holds no second copy.
  std::shared_ptr<MemoryBudget> memory_budget;
  // Larger keys or values (Delete included) -> InvalidArgument, nothing written.
  std::size_t max_key_size = 64 << 10;
  std::size_t max_value_size = 256 << 20;
  // Threads for flushes and compactions: with 2 or more, one thread only
  // flushes and the others only compact (up to max_background_jobs - 1
  // compactions at once); a single thread does both.
  int max_background_jobs = 2;
  // Runs the flush and compaction threads at the lowest CPU priority (nice
  // 19, Linux; elsewhere ignored), as RocksDB's
  // Env::LowerThreadPoolCPUPriority: where cores are few, a background
  // thread then no longer takes a writer's core for a scheduler slice
  // (milliseconds of write latency), and it still runs whenever a core is
  // free. Off by default, as in RocksDB: with more busy writers than cores,
  // flushes progress only once writes wait for them.
  bool lower_background_priority = false;
  // Once the manifest holds this many bytes, the next flush or compaction
  // starts a new one holding a snapshot of the file set (and the old one is
  // deleted), so the manifest does not grow for the life of the process.
  std::size_t max_manifest_file_size = std::size_t{1} << 30;

  // Leveled compaction. Level 0 holds flushed tables (they may overlap);
  // levels 1..6 are sorted runs whose size targets grow by the multiplier.
  // Defaults are RocksDB's, so side-by-side runs compare like with like.
  int level0_file_num_compaction_trigger = 4;      // L0 files that start a compaction
  int level0_slowdown_writes_trigger = 20;         // L0 files that slow writes down
  int level0_stop_writes_trigger = 36;             // L0 files that make writes wait
  std::uint64_t target_file_size_base = 64 << 20;  // compaction output files
  // Size target of level 1. Under a memory_budget whose share of a write
  // buffer is smaller than write_buffer_size, scaled down in proportion,
  // then raised to at least target_file_size_base (never above this), so
  // that a level-0 compaction's merge with level 1 stays cheap against what
  // it brings in.
  std::uint64_t max_bytes_for_level_base = 256 << 20;
  double max_bytes_for_level_multiplier = 10;  // level n+1 target / level n target
  bool disable_auto_compactions = false;       // CompactRange still works
  // Bytes per second writes are held to while level 0 holds
  // level0_slowdown_writes_trigger files or more (RocksDB's default). Each
  // time level 0 grows further the rate drops to 4/5, down to 16 KiB/s; each
  // time it shrinks it rises by 5/4, up to this. Must be > 0.
  std::uint64_t delayed_write_rate = 16 << 20;

  // SST layout.
  std::size_t block_size = 4 << 10;  // target uncompressed data block size
  int block_restart_interval = 16;   // keys between restart points in a block
  int bloom_bits_per_key = 10;       // 0 disables the bloom filter
  // Data block compression. compression_per_level, when not empty, names it
  // per level (index = level; levels past its end take its last entry);
  // otherwise `compression` applies to every level.
  CompressionType compression = CompressionType::kNone;
  std::vector<CompressionType> compression_per_level;

  // What Open does with a damaged write-ahead log (see WALRecoveryMode). What
  // was dropped is reported by GetProperty("arenakv.recovery").
  WALRecoveryMode wal_recovery_mode = WALRecoveryMode::kPointInTimeRecovery;

  // Background errors (docs/API.md "Errors you can recover from"): a flush or
  // compaction that hit NoSpace is retried automatically up to this many
  // times, the first after bgerror_resume_retry_interval microseconds, each
  // next one after twice as long (at most a minute); 0 turns it off.
  // DB::Resume() retries at once.
  int max_bgerror_resume_count = 16;
  std::uint64_t bgerror_resume_retry_interval = 1000000;

  // The info log, LOG in the DB directory (open, recovery, flushes,
  // compactions, stalls, background errors; docs/API.md "Operating"): it is
  // renamed to LOG.old.<microseconds> at each Open and once it reaches
  // max_log_file_size bytes (0: no limit), and only the newest
  // keep_log_file_num old ones are kept.
  std::size_t max_log_file_size = 64 << 20;
  std::size_t keep_log_file_num = 10;

  // All I/O goes through this; nullptr means FileSystem::Default() (POSIX).
  // Must outlive the DB.
  FileSystem* file_system = nullptr;
};

struct WriteOptions {
  // Durable (fdatasync) before the write returns.
  bool sync = false;
  // Skip the write-ahead log: the write is lost on a crash before a flush,
  // and is exempt from the "recovery yields a prefix" guarantee. Together
  // with sync: InvalidArgument.
  bool disable_wal = false;
};

class Snapshot;

struct ReadOptions {
  const Snapshot* snapshot = nullptr;  // nullptr: the latest state
  bool verify_checksums = true;
  std::optional<std::string> lower_bound;  // iterator bounds: inclusive
  std::optional<std::string> upper_bound;  // exclusive
  // An iterator moves to the DB's newest memtables and files at its next
  // Seek, SeekForPrev, SeekToFirst or SeekToLast once a flush or compaction
  // has replaced them, still reading at its own sequence, which it holds
  // as a snapshot for its life: the same keys and values, but it no longer
  // keeps flushed memtables and compacted files alive, nor reads level-0
  // files that were merged since it was created (compactions keep the
  // versions it sees, as for any snapshot). false: it reads the
  // memtables and files it was created on for its whole life (RocksDB's
  // behaviour). Get ignores it; transactions' iterators do not refresh.
  bool auto_refresh_iterator = true;
};

// A point in the DB's history: reads through it see exactly the writes with
// sequence <= sequence(). Obtained from DB::GetSnapshot, returned with
// DB::ReleaseSnapshot.
class Snapshot {
 public:
  std::uint64_t sequence() const { return sequence_; }

 protected:
  explicit Snapshot(std::uint64_t sequence) : sequence_(sequence) {}
  ~Snapshot() = default;

 private:
  const std::uint64_t sequence_;
};

// A cursor over user keys in bytewise order, seeing the DB as of its creation
// (or its snapshot) for its whole life. Not thread-safe.
class Iterator {
 public:
  virtual ~Iterator() = default;
  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  virtual void Seek(std::string_view target) = 0;         // first key >= target
  virtual void SeekForPrev(std::string_view target) = 0;  // last key <= target
  virtual void Next() = 0;                                // requires Valid()
  virtual void Prev() = 0;                                // requires Valid()
  // Valid until the next move or the iterator's destruction.
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual Status status() const = 0;
};

// How a Transaction is validated at Commit (optimistic concurrency control;
// docs/API.md "Transactions", mvcc/txn/README.md).
struct TransactionOptions {
  enum Isolation {
    // Snapshot isolation: Commit fails (Busy) if a key the transaction wrote
    // or read with GetForUpdate was written by anyone after the transaction
    // began. Write skew is possible.
    kSnapshot,
    // Serializable: as kSnapshot, and also every key read with Get and every
    // key range an iterator of the transaction passed over. Committed
    // transactions are equivalent to running one at a time: those that wrote
    // in commit order, read-only ones at their snapshot.
    kSerializable,
  } isolation = kSnapshot;
};

// A transaction: reads at the snapshot taken when it began, sees its own
// writes (Get and iterators), and commits all its writes as one atomic batch,
// or nothing when a conflicting write committed in between (Busy).
// Optimistic: nothing is locked while it runs; conflicts are found at Commit.
//
// Thread safety: one thread at a time. Lifetime: destroy its iterators
// before it, and it before the DB; destroying an active transaction rolls it
// back. After Commit (whatever it returns: to retry, begin a new one) or
// Rollback, every call returning a Status returns InvalidArgument.
class Transaction {
 public:
  virtual ~Transaction() = default;
  // Own writes first, then the DB at the transaction's snapshot. NotFound if
  // absent. `options.snapshot` must be null: the transaction has its own.
  // Under kSerializable the key is validated at Commit.
  virtual Status Get(const ReadOptions& options, std::string_view key, std::string* value) = 0;
  // As Get, and the key is validated at Commit under either isolation.
  virtual Status GetForUpdate(const ReadOptions& options, std::string_view key,
                              std::string* value) = 0;
  // Buffered in the transaction's own arena until Commit. InvalidArgument
  // for a key or value over the DB's size limits; MemoryLimit (nothing
  // buffered) when neither the arena nor the DB's memory budget has room.
  virtual Status Put(std::string_view key, std::string_view value) = 0;
  virtual Status Delete(std::string_view key) = 0;
  // The transaction's writes made so far merged over its snapshot (writes
  // made after the iterator's creation are not seen by it); every move and
  // both bounds of `options` work as for DB::NewIterator. Under kSerializable
  // the key range it passes over is validated at Commit.
  virtual std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) = 0;
  // Marks the writes so far (does nothing once the transaction ended);
  // RollbackToSavePoint undoes the writes made since the newest mark and
  // removes the mark (NotFound if there is none). Reads are not undone: the
  // keys and ranges the transaction read from the DB stay validated. The
  // writes before the mark are copied into a new arena: MemoryLimit, and
  // nothing changed (the mark stays), if the memory budget has no room.
  virtual void SetSavePoint() = 0;
  virtual Status RollbackToSavePoint() = 0;
  // Validates the reads (see TransactionOptions) and, if no conflicting write
  // committed since the transaction began, writes the newest buffered write
  // of each key as one batch with the transaction's WriteOptions. Busy on a
  // conflict (nothing is written); MemoryLimit (nothing written) if the
  // memory budget has no room for that batch; any other error as DB::Write
  // returns it. A transaction that
  // wrote nothing commits without validation: its reads are those of one
  // consistent snapshot.
  virtual Status Commit() = 0;
  // Drops the buffered writes.
  virtual Status Rollback() = 0;
};

class DB {
 public:
  static Status Open(const Options& options, const std::string& path, std::unique_ptr<DB>* db);
  // Opens an existing DB for reading only: it takes no LOCK (so it works
  // while another process has the DB open) and writes nothing: no new WAL,
  // table, manifest, LOG or OPTIONS file, no file deleted. It reads the
  // manifest's tables and replays the WALs into memory (per
  // wal_recovery_mode), so it sees what the writer had written to its files
  // when this Open ran, never anything later. Put, Delete, Write, Flush and
  // CompactRange return NotSupported; reads, snapshots, iterators, GetProperty
  // and VerifyChecksum work. InvalidArgument if there is no DB at `path`.
  // If a writer deletes a file this open was about to read, it starts again
  // on the newer files (up to four times).
  static Status OpenForReadOnly(const Options& options, const std::string& path,
                                std::unique_ptr<DB>* db);

  DB() = default;
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;
  // Close(), ignoring its Status; then releases the memtables, the files and
  // the LOCK file.
  virtual ~DB() = default;

  // Closes the DB cleanly: if a write since Open skipped the WAL
  // (WriteOptions::disable_wal), flushes the memtables to tables first, so a
  // clean close loses nothing (writes with the WAL stay in it and are
  // replayed by the next Open); then waits for background work and closes
  // the WAL. A flush failure that an automatic resume retries
  // (max_bgerror_resume_count) is waited through. OK, or the error that
  // kept that flush from succeeding (the unlogged writes are then lost) or
  // of closing the WAL. Call it with no other call in flight. Once
  // closed, writes, Flush and CompactRange return InvalidArgument; reads keep
  // working until the DB is destroyed. A second Close returns OK.
  virtual Status Close() = 0;

  // Clears a retryable background error and retries the work that failed:
  // a flush or compaction whose output could not be written (an IOError,
  // NoSpace included, before its manifest edit) stops writes until then.
  // Waits for the memtables waiting to be flushed, and returns OK, or the
  // error that stopped them again (Busy if the DB closes first). A fatal error (a WAL or manifest
  // write or sync failed, a memtable insert failed, Corruption) is not cleared: it is returned as
  // it is, and the DB stays read-only until it is reopened. OK if there is no background error.
  virtual Status Resume() = 0;

  // The DB's id (a random UUID made when the DB was created, kept in its
  // IDENTITY file): stays the same across reopens, differs between DBs.
  virtual Status GetDbIdentity(std::string* identity) const = 0;

  virtual Status Put(const WriteOptions& options, std::string_view key, std::string_view value) = 0;
  virtual Status Delete(const WriteOptions& options, std::string_view key) = 0;
  // Atomic: all or nothing, also across crashes.
  virtual Status Write(const WriteOptions& options, WriteBatch* batch) = 0;
  // NotFound if absent (or deleted) at the read's snapshot.
  virtual Status Get(const ReadOptions& options, std::string_view key, std::string* value) = 0;
  virtual std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) = 0;

  virtual const Snapshot* GetSnapshot() = 0;
  virtual void ReleaseSnapshot(const Snapshot* snapshot) = 0;

  // Starts an optimistic transaction at the current state (a snapshot it
  // holds until it commits, rolls back or is destroyed). Its Commit writes
  // with `options`.
  virtual std::unique_ptr<Transaction> BeginTransaction(const WriteOptions& options,
                                                        const TransactionOptions& txn_options) = 0;

  // Writes the memtable to an SST and waits for it. If a flush it waits for
  // (this memtable's or an older one's) fails, Flush returns that error, also
  // when an automatic resume (max_bgerror_resume_count) clears it and the
  // retry succeeds later. Busy if the DB closes first.
  virtual Status Flush() = 0;
  virtual Status CompactRange(std::optional<std::string_view> begin,
                              std::optional<std::string_view> end) = 0;

  // "arenakv.memtable.arena-stats", "arenakv.stats", "arenakv.num-files-at-level<N>",
  // "arenakv.recovery" (what Open's WAL replay kept and dropped), ...
  virtual bool GetProperty(std::string_view name, std::string* value) = 0;

  // Reads every block of every table file of the DB and checks its checksum
  // and contents (the bloom filter and properties against the entries).
  // OK; Corruption naming the first damaged file; or the file system's error.
  // Safe to call while the DB is in use; the files it checks stay alive.
  virtual Status VerifyChecksum() = 0;
  // The same; the API contract's spelling (every block is read and checked
  // whatever `options` says).
  Status VerifyChecksum(const ReadOptions& options) {
    (void)options;
    return VerifyChecksum();
  }
};

// Deletes the DB's files and its directory (if then empty).
Status DestroyDB(const std::string& path, const Options& options);

}  // namespace arenakv

#endif  // ARENAKV_MVCC_DB_H_
