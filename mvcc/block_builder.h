// BlockBuilder: encodes the entries of one SST block (data or index block;
// layout in docs/FORMATS.md, "SST file").
//
//   entry    = varint32 shared | varint32 non_shared | varint32 value_length |
//              key bytes [shared, shared + non_shared) | value bytes
//   restarts = fixed32 offset of every restart entry, then fixed32 count
//
// Every `restart_interval`-th entry is a restart point: it stores its whole
// key (shared = 0) and its offset goes into the restart array, so a reader can
// binary-search the restart keys and decode forward from there. Other entries
// store only the suffix that differs from the previous key.
//
// Not thread-safe: one owner. The builder owns its buffer; Finish() returns a
// view of it that stays valid until Reset() or destruction.
#ifndef ARENAKV_MVCC_BLOCK_BUILDER_H_
#define ARENAKV_MVCC_BLOCK_BUILDER_H_

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

  // Appends an entry. The caller keeps keys in the block's order (the builder
  // does not compare them). Requires !finished().
  void Add(std::string_view key, std::string_view value);

  // Appends the restart array and returns the whole block; no more Add until
  // Reset(). An empty block is a restart array holding offset 0 (8 bytes).
  std::string_view Finish();

  // Starts a new, empty block; reuses the buffer.
  void Reset();

  // Bytes Finish() would return now.
  std::size_t CurrentSizeEstimate() const;
  bool empty() const { return num_entries_ == 0; }
  std::size_t num_entries() const { return num_entries_; }
  bool finished() const { return finished_; }

 private:
  const int restart_interval_;
  std::string buffer_;
  std::vector<std::uint32_t> restarts_;  // offsets into buffer_; restarts_[0] == 0
  int entries_since_restart_ = 0;        // in [0, restart_interval_]
  std::size_t num_entries_ = 0;
  std::string last_key_;  // the key of the last Add, for prefix compression
  bool finished_ = false;
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_BLOCK_BUILDER_H_
