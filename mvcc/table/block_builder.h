// SPDX-License-Identifier: Apache-2.0
// BlockBuilder: encodes the entries of one SST block (data or index block;
// layout in docs/FORMATS.md, "SST file").
//
//   entry    = varint32 shared | varint32 non_shared | varint32 value_length |
//              varint64 trailer |
//              user key bytes [shared, shared + non_shared) | value bytes
//   restarts = fixed32 offset of every restart entry, then fixed32 count
//
// Keys are internal keys (mvcc/util/dbformat.h), but an entry splits one apart:
// the user key is prefix-compressed against the previous entry's user key and
// the trailer (sequence << 8 | kind) is a varint. Sequences are small numbers
// (0 once compaction zeroes them), so the varint takes 1-4 bytes where a
// fixed64 takes 8: on small entries that is a large part of the file.
//
// Every `restart_interval`-th entry is a restart point: it stores its whole
// user key (shared = 0) and its offset goes into the restart array, so a
// reader can binary-search the restart keys and decode forward from there.
// Other entries store only the user-key suffix that differs from the previous
// entry's user key.
//
// Not thread-safe: one owner. The builder owns its buffer; Finish() returns a
// view of it that stays valid until Reset() or destruction. An entry that
// does not fit the buffer's capacity grows it to hold the entry and the
// restart array (or to twice its capacity, if that is more): a 10 MB value
// costs 10 MB, not 20 MB (with a copy) when Finish() appends the restarts.
#ifndef ARENAKV_MVCC_TABLE_BLOCK_BUILDER_H_
#define ARENAKV_MVCC_TABLE_BLOCK_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace arenakv {

class BlockBuilder {
 public:
  // restart_interval < 1 is treated as 1 (every entry a restart point).
  explicit BlockBuilder(int restart_interval);

  BlockBuilder(const BlockBuilder&) = delete;
  BlockBuilder& operator=(const BlockBuilder&) = delete;

  // Appends an entry. `key` is an internal key (at least kTrailerSize bytes:
  // user key, then fixed64 trailer). The caller keeps keys in the block's
  // order (the builder does not compare them). Requires !finished().
  void Add(std::string_view key, std::string_view value);

  // Appends the restart array and returns the whole block; no more Add until
  // Reset(). An empty block is a restart array holding offset 0 (8 bytes).
  std::string_view Finish();

  // Starts a new, empty block; reuses the buffer unless it grew past
  // kKeptCapacity (an entry larger than a block: its bytes go back at once
  // instead of staying with the builder until the table is done).
  void Reset();
  static constexpr std::size_t kKeptCapacity = std::size_t{1} << 20;

  // Bytes Finish() would return now.
  std::size_t CurrentSizeEstimate() const;
  // Heap bytes the builder holds (its buffers' capacities).
  std::size_t MemoryUsage() const {
    return buffer_.capacity() + restarts_.capacity() * sizeof(std::uint32_t) +
           last_user_key_.capacity();
  }
  bool empty() const { return num_entries_ == 0; }
  std::size_t num_entries() const { return num_entries_; }
  bool finished() const { return finished_; }

 private:
  const int restart_interval_;
  std::string buffer_;
  std::vector<std::uint32_t> restarts_;  // offsets into buffer_; restarts_[0] == 0
  int entries_since_restart_ = 0;        // in [0, restart_interval_]
  std::size_t num_entries_ = 0;
  std::string last_user_key_;  // of the last Add, for prefix compression
  bool finished_ = false;
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_TABLE_BLOCK_BUILDER_H_
