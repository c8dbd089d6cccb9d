// SPDX-License-Identifier: Apache-2.0
// Reading one SST block (data or index block) written by BlockBuilder.
//
// BlockContents keeps a block's bytes alive for as long as something reads
// them: a view of bytes someone else owns (the Table's index block), an owned
// copy (a block read from the file without a cache), or a pinned BlockCache
// handle (released when the BlockContents is destroyed).
//
// BlockIterator is an InternalIterator over a block whose keys are internal
// keys in InternalKeyCompare order. It owns its BlockContents. An entry stores
// a user-key suffix and a varint trailer (mvcc/table/block_builder.h); key() is the
// whole internal key, rebuilt into the iterator's own buffer. Every decode is
// bounds-checked: a restart array, length or offset that does not fit the
// block, a malformed varint, or a shared prefix longer than the previous user
// key makes the iterator !Valid() with a Corruption status; it never reads
// outside the block. Keys out of order are not detected here
// (Table::VerifyAll checks order); they only make seeks land on the wrong
// entry.
//
// Thread safety: a BlockIterator is used by one thread at a time. Several
// iterators may share one block's bytes (a cached block) since they only read.
#ifndef ARENAKV_MVCC_TABLE_BLOCK_H_
#define ARENAKV_MVCC_TABLE_BLOCK_H_

#include <arenakv/mvcc/status.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mvcc/iter/internal_iterator.h"
#include "mvcc/table/block_cache.h"

namespace arenakv {

class BlockContents {
 public:
  BlockContents() = default;
  // Bytes owned elsewhere; they must outlive this object.
  static BlockContents View(std::string_view data);
  static BlockContents Owned(std::string data);
  // Takes over one pin of `handle`; Release()d on destruction.
  static BlockContents Pinned(BlockCache* cache, BlockCache::Handle* handle);

  BlockContents(BlockContents&& other) noexcept;
  BlockContents& operator=(BlockContents&& other) noexcept;
  BlockContents(const BlockContents&) = delete;
  BlockContents& operator=(const BlockContents&) = delete;
  ~BlockContents();

  std::string_view data() const { return data_; }

 private:
  void Clear();

  std::string owned_;            // the bytes, when owned
  bool is_owned_ = false;        // data_ points into owned_
  BlockCache* cache_ = nullptr;  // with handle_: a pinned cache entry
  BlockCache::Handle* handle_ = nullptr;
  std::string_view data_;
};

// Where a block's parts lie: entries in [0, restarts_offset), then
// num_restarts fixed32 restart offsets, then the fixed32 count.
struct BlockLayout {
  std::uint32_t restarts_offset = 0;
  std::uint32_t num_restarts = 0;
};

// Corruption if the block is shorter than its count or the restart array does
// not fit, or a block with entries has no restart point. Restart offsets
// themselves are checked when read.
Status ParseBlockLayout(std::string_view block, BlockLayout* layout);

class BlockIterator final : public InternalIterator {
 public:
  // A block with a bad layout gives an iterator that is never Valid() and
  // reports Corruption.
  explicit BlockIterator(BlockContents contents);

  BlockIterator(const BlockIterator&) = delete;
  BlockIterator& operator=(const BlockIterator&) = delete;

  bool Valid() const override { return current_ < layout_.restarts_offset; }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Seek(std::string_view target) override;
  void SeekForPrev(std::string_view target) override;
  void Next() override;
  void Prev() override;
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return value_; }
  Status status() const override { return status_; }

 private:
  // False (and the iterator corrupt) if restart `index` lies outside the entries.
  bool RestartPoint(std::uint32_t index, std::uint32_t* offset);
  // Positions before the entry at restart `index`; the next ParseNextEntry
  // decodes it. False if the restart offset is corrupt.
  bool SeekToRestart(std::uint32_t index);
  // Decodes the entry at next_ into key_/value_. False at the end of the
  // entries (iterator !Valid(), status OK) or on corruption.
  bool ParseNextEntry();
  // The user key (a view into the block) and trailer stored at restart
  // `index`, whose shared must be 0. False (and the iterator corrupt) if the
  // entry there does not decode.
  bool RestartKey(std::uint32_t index, std::string_view* user_key, std::uint64_t* trailer);
  void MarkInvalid();
  void MarkCorrupt(std::string_view why);
  // False if the block is empty or unusable: the iterator is then !Valid().
  bool Usable();

  BlockContents contents_;
  std::string_view data_;  // contents_.data()
  BlockLayout layout_;
  Status status_;
  // Offset of the current entry; layout_.restarts_offset when !Valid().
  std::uint32_t current_ = 0;
  std::uint32_t next_ = 0;           // offset just past the current entry
  std::uint32_t restart_index_ = 0;  // the restart run that contains current_
  // The current internal key: the user key rebuilt from prefixes, then the
  // fixed64 trailer. Empty before the first entry of a restart run, so that
  // entry (a restart entry) can share nothing.
  std::string key_;
  std::string_view value_;
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_TABLE_BLOCK_H_
