// SPDX-License-Identifier: Apache-2.0
// Large entries read key first: an iterator over a data block that holds one
// entry larger than a block (a 10 MB value makes a 10 MB block of its own)
// reads only the entry's key until its value is asked for.
//
// Why: a compaction merges one iterator per input file, and each sits on an
// entry all the time. With whole blocks loaded, k inputs of 10 MB values hold
// k x 10 MB (five level-0 files: 50 MB); key first, they hold k keys, and
// only the entry being copied to the output has its value in memory.
//
// PeekLargeEntry reads the block's restart array and trailer type byte (9
// bytes at its end) and the first bytes of the block, and recognises an uncompressed block
// of exactly one entry; anything else (a compressed block, several entries,
// a key longer than kMaxPeekedKey) is left to the caller to read whole. What
// the peek reads is not checksummed: LargeEntryIterator reads the whole
// block, with its checksum checked as the caller asked, when value() is
// called or when the iterator moves away without having read it, and reports
// Corruption if the block's entry is not the key it peeked. So every block is
// checked as a whole-block read would check it; only the order of the reads
// changes, and a seek that passes over the entry reads the block at once. A
// block found in the block cache is used whole, never peeked.
//
// A Get reads such a value with ReadLargeEntryValue: the block goes straight
// into the caller's string, so the value is in memory once.
//
// Not thread-safe: one owner, like every iterator.
#ifndef ARENAKV_MVCC_TABLE_LARGE_ENTRY_H_
#define ARENAKV_MVCC_TABLE_LARGE_ENTRY_H_

#include <arenakv/mvcc/file_system.h>
#include <arenakv/mvcc/status.h>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "mvcc/iter/internal_iterator.h"
#include "mvcc/table/block.h"
#include "mvcc/table/table_format.h"
#include "mvcc/util/dbformat.h"

namespace arenakv {

// Blocks at least this large are peeked (smaller ones are read whole: the
// two small reads would cost more than they save).
inline constexpr std::size_t kLargeEntryBlockBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMaxPeekedKey = std::size_t{64} << 10;

// OK with *found set and *key the entry's internal key if the block at
// `handle` is an uncompressed block of one entry; OK with *found false if it
// is not (the caller reads it whole); the file's error if a read fails.
Status PeekLargeEntry(const RandomAccessFile& file, const BlockHandle& handle, std::string* key,
                      bool* found);

// OK with *value pointing into `block` if the block holds exactly one entry,
// keyed `key` (the internal key PeekLargeEntry read); Corruption otherwise.
Status ParseLargeEntryBlock(std::string_view block, std::string_view key, std::string_view* value);

// A Get's read of the value of a block PeekLargeEntry recognised, keyed
// `key`: reads the block into *value itself, checksummed, checks it as
// ParseLargeEntryBlock does and trims it to the value in place. The value is
// never held beside a copy of its block (read, cached, then copied out, it
// was three times in memory); the block does not go into the block cache.
Status ReadLargeEntryValue(const RandomAccessFile& file, const BlockHandle& handle,
                           std::string_view key, std::string* value);

// One entry of a block PeekLargeEntry recognised. `read_block` reads the
// whole block (checksummed as the table iterator's caller asked).
class LargeEntryIterator final : public InternalIterator {
 public:
  using BlockReader = std::function<Status(BlockContents*)>;
  // checked_reads: read_block checks the block's checksum (else a seek
  // passing over the entry would read it only to compare its key with a
  // peek of the same bytes, and does not).
  LargeEntryIterator(std::string key, BlockReader read_block, bool checked_reads = true);

  bool Valid() const override { return positioned_ && status_.ok(); }
  void SeekToFirst() override { Position(true); }
  void SeekToLast() override { Position(true); }
  // A seek that passes over the entry reads and checks the block first: its
  // key was only peeked, and the caller will take the entry sought to lie
  // elsewhere (a Get would answer from the next block).
  void Seek(std::string_view target) override {
    const bool on_entry = InternalKeyCompareTotal(key_, target) >= 0;
    if (!on_entry && checked_reads_) Load();
    Position(on_entry);
  }
  void SeekForPrev(std::string_view target) override {
    const bool on_entry = InternalKeyCompareTotal(key_, target) <= 0;
    if (!on_entry && checked_reads_) Load();
    Position(on_entry);
  }
  // The block's only entry: the next and previous ones are in other blocks.
  void Next() override { Position(false); }
  void Prev() override { Position(false); }
  std::string_view key() const override { return key_; }
  // Reads the block (once). On failure the iterator is no longer Valid() and
  // status() says why; the view is then empty.
  std::string_view value() const override;
  Status status() const override { return status_; }
  // True once the block has been read (value() was called).
  bool loaded() const { return loaded_; }

 private:
  void Position(bool positioned);
  // Reads and checks the block into block_/value_ unless done already.
  void Load() const;

  const std::string key_;
  const BlockReader read_block_;
  const bool checked_reads_;
  bool positioned_ = false;
  mutable bool loaded_ = false;
  mutable BlockContents block_;
  mutable std::string_view value_;
  mutable Status status_;
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_TABLE_LARGE_ENTRY_H_
