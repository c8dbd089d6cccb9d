// SPDX-License-Identifier: Apache-2.0
// Table: an open, immutable SST file (written by TableBuilder; format in
// mvcc/table/table_format.h and docs/FORMATS.md, "SST file").
//
// Features
//   - Open reads the footer, index, filter and properties blocks once, always
//     verifying their checksums, and keeps them in memory. Data blocks are
//     read on demand (and uncompressed, if stored compressed), through the
//     BlockCache when one is given; the cache holds uncompressed contents.
//   - NewIterator walks the index block and opens one data block at a time
//     (a two-level iterator), in both directions, across block boundaries.
//   - Get answers "newest version of a user key visible at a snapshot",
//     consulting the bloom filter before any data block is read.
//
// Caveats
//   - Errors are values: a bad block (checksum, layout, bounds) makes an
//     iterator !Valid() with a Corruption status() and Get return Corruption;
//     nothing reads outside a block. With verify_checksums false and no cache,
//     a corrupt data block may read as wrong entries; VerifyAll finds it.
//   - A data block inserted into the cache is always verified first, so a
//     cached block is trusted whatever verify_checksums says.
//
// Thread safety and ownership: after Open a Table is immutable (but for a
// read-path hint, compressed_blocks_seen_, an atomic) and every
// const method may be called from any number of threads at once (the file's
// Read and the cache are thread-safe). The Table owns its file. The cache (if
// any) must outlive the Table; a Table must outlive its iterators. Iterators
// are single-threaded and keep the data block they are on alive (an owned
// copy or a pinned cache handle).
#ifndef ARENAKV_MVCC_TABLE_TABLE_H_
#define ARENAKV_MVCC_TABLE_TABLE_H_

#include <arenakv/mvcc/file_system.h>
#include <arenakv/mvcc/status.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mvcc/iter/internal_iterator.h"
#include "mvcc/table/block.h"
#include "mvcc/table/block_cache.h"
#include "mvcc/table/table_format.h"
#include "mvcc/util/dbformat.h"

namespace arenakv {

class TableIterator;

class Table {
 public:
  // Opens the table in `file` (file_size bytes). Corruption if the file is too
  // short, is not an arenakv table (magic, version), or the footer, index,
  // filter or properties block is damaged or inconsistent; the file's error
  // if a read fails. On success *table owns the file. Its data blocks are
  // cached under cache_id, or a new id (cache->NewId()) when cache_id is 0:
  // a table file reopened under the id it had before finds its blocks still
  // cached.
  static Status Open(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
                     std::uint64_t file_size, BlockCache* cache, std::unique_ptr<Table>* table,
                     std::uint64_t cache_id = 0);

  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  // Iterator over every entry in InternalKeyCompare order. verify_checksums
  // checks each data block read from the file (cache hits were checked
  // before they were cached). With fill_cache false, blocks read from the
  // file are not added to the block cache (compactions: one pass over data
  // no reader asked for would only evict what readers use).
  // With key_first (compactions; Get uses it too), a block holding one large
  // entry is read key first, its value only when asked for
  // (mvcc/table/large_entry.h): its checksum is then checked when value() is
  // called, the iterator moves off it with Next/Prev or a seek passes over
  // it, not when the key is first seen. A cached block is used whole.
  std::unique_ptr<InternalIterator> NewIterator(bool verify_checksums, bool fill_cache = true,
                                                bool key_first = false) const;
  // The same, for a shared table: the iterator holds `table` (keeps it open)
  // for as long as it lives.
  static std::unique_ptr<InternalIterator> NewIterator(std::shared_ptr<const Table> table,
                                                       bool verify_checksums,
                                                       bool fill_cache = true,
                                                       bool key_first = false);

  enum class GetResult { kNotPresent, kFound, kDeleted };
  // The newest version of user_key with sequence <= snapshot: kFound (and
  // *value, if value is not null, set to its value), kDeleted (a tombstone),
  // or kNotPresent. Checks the bloom filter first. Returns Corruption or the
  // file's error if a block cannot be read; *result is then kNotPresent. The
  // value of an entry in a block of its own (a large one, large_entry.h), if
  // the block is not cached, is read from the file straight into *value,
  // always checksummed, and not added to the cache (a hot large value is
  // read from the file each time). On an error *value may have been cleared.
  Status Get(std::string_view user_key, SequenceNumber snapshot, bool verify_checksums,
             GetResult* result, std::string* value) const;

  // The bloom filter alone: false only if the table certainly has no entry
  // for user_key. True when the table has no filter.
  bool KeyMayMatch(std::string_view user_key) const;

  const TableProperties& properties() const { return properties_; }

  // Bytes this open reader holds in memory: its index, filter and properties
  // blocks plus a fixed overhead for the object and its file (what a memory
  // budget charges for it; data blocks are the block cache's).
  std::size_t MemoryUsage() const;

  // Reads every data block from the file (bypassing the cache), verifying
  // checksums, block layout, strictly increasing keys, index separators, the
  // bloom filter (no false negatives) and the properties against the entries.
  // OK, Corruption with what was wrong, or the file's error.
  Status VerifyAll() const;

 private:
  friend class TableIterator;

  Table() = default;

  // The data block at `handle`, through the cache when there is one (looked
  // up unless the caller just did, added to it only if fill_cache).
  // Corruption if the handle lies outside the data region.
  Status ReadDataBlock(const BlockHandle& handle, bool verify_checksums, bool fill_cache,
                       BlockContents* contents, bool look_in_cache = true) const;
  // True, with *contents pinning it, if the block at `handle` is cached.
  bool LookupCachedBlock(const BlockHandle& handle, BlockContents* contents) const;
  Status CheckDataHandle(const BlockHandle& handle) const;
  // Checks the index block once at Open: its layout, every handle, and that
  // it has properties_.num_data_blocks entries.
  Status CheckIndex() const;

  TableOptions options_;
  std::unique_ptr<RandomAccessFile> file_;
  std::uint64_t file_size_ = 0;
  BlockCache* cache_ = nullptr;  // not owned; may be null
  std::uint64_t cache_id_ = 0;   // this table's key prefix in cache_
  // Data blocks (and their trailers) lie in [0, data_end_).
  std::uint64_t data_end_ = 0;
  std::string index_block_;
  bool has_filter_ = false;
  std::string filter_block_;
  TableProperties properties_;
  // Set once a data block read into a reserved cache entry turned out
  // compressed: later misses read into a buffer of their own, not into a
  // cache chunk that would only hold the compressed bytes for a moment.
  // Relaxed: a hint, read and set by any reader.
  mutable std::atomic<bool> compressed_blocks_seen_{false};
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_TABLE_TABLE_H_
