// SPDX-License-Identifier: Apache-2.0
#include "mvcc/table/table.h"

#include <algorithm>
#include <utility>

#include "arenakv/base/check.h"
#include "mvcc/table/block_compression.h"
#include "mvcc/table/bloom.h"
#include "mvcc/table/large_entry.h"

namespace arenakv {

// The two-level iterator: index_ walks the index block, data_ the data block
// its current entry points to. Valid() iff data_ is positioned on an entry
// and no error has been met; errors are sticky.
class TableIterator final : public InternalIterator {
 public:
  // `owner`, if set, is the shared Table `table` points to, held for life.
  TableIterator(const Table* table, bool verify_checksums, bool fill_cache, bool key_first,
                std::shared_ptr<const Table> owner = nullptr)
      : owner_(std::move(owner)),
        table_(table),
        verify_checksums_(verify_checksums),
        fill_cache_(fill_cache),
        key_first_(key_first),
        index_(BlockContents::View(table->index_block_)) {}

  bool Valid() const override { return data_ != nullptr && data_->Valid() && status_.ok(); }

  void SeekToFirst() override {
    index_.SeekToFirst();
    if (LoadDataBlock()) SeekDataToFirst();
    SkipEmptyForward();
  }

  void SeekToLast() override {
    index_.SeekToLast();
    if (LoadDataBlock()) SeekDataToLast();
    SkipEmptyBackward();
  }

  void Seek(std::string_view target) override {
    index_.Seek(target);
    if (LoadDataBlock()) data_->Seek(target);
    SkipEmptyForward();
  }

  void SeekForPrev(std::string_view target) override {
    // The block holding the last key <= target is the one whose separator is
    // the first >= target, or the one before it.
    index_.Seek(target);
    if (!index_.Valid() && index_.status().ok()) {
      SeekToLast();
      return;
    }
    if (LoadDataBlock()) data_->SeekForPrev(target);
    SkipEmptyBackward();
  }

  void Next() override {
    ARENAKV_DCHECK(Valid());
    data_->Next();
    SkipEmptyForward();
  }

  void Prev() override {
    ARENAKV_DCHECK(Valid());
    data_->Prev();
    SkipEmptyBackward();
  }

  std::string_view key() const override {
    ARENAKV_DCHECK(Valid());
    return data_->key();
  }
  std::string_view value() const override {
    ARENAKV_DCHECK(Valid());
    return data_->value();
  }

  Status status() const override {
    if (!status_.ok()) return status_;
    if (!index_.status().ok()) return index_.status();
    if (data_ != nullptr) return data_->status();
    return Status::OK();
  }

  // Table::Get's copy of the current entry's value into *out. The value of a
  // large entry whose block is not read yet is read straight into *out.
  Status ReadValueInto(std::string* out) const {
    ARENAKV_DCHECK(Valid());
    if (large_ != nullptr && !large_->loaded()) {
      return ReadLargeEntryValue(*table_->file_, data_handle_, large_->key(), out);
    }
    out->assign(value());
    return status();
  }

  // The key of a large entry was peeked, not checked: before Table::Get
  // trusts it for anything but a value ReadValueInto reads (and checks),
  // the block is read and checked as a whole-block read would be.
  // Without checksums the block's key would only be compared with a peek of
  // the same bytes: skipped.
  Status CheckPeekedBlock() const {
    ARENAKV_DCHECK(Valid());
    if (large_ == nullptr || large_->loaded() || !ChecksReads()) return Status::OK();
    (void)large_->value();
    return large_->status();
  }

 private:
  // Whether ReadDataBlock checks the checksums of what it reads: when asked,
  // and for blocks headed for the cache.
  bool ChecksReads() const {
    return verify_checksums_ || (fill_cache_ && table_->cache_ != nullptr);
  }

  // Drops data_ (and large_, which points into it).
  void ResetData() {
    large_ = nullptr;
    data_.reset();
  }

  bool Healthy() const {
    return status_.ok() && index_.status().ok() && (data_ == nullptr || data_->status().ok());
  }

  // Points data_ at the block of the current index entry. False (data_ null)
  // if the index is exhausted or the block cannot be read (status_ set).
  bool LoadDataBlock() {
    if (!index_.Valid() || !status_.ok()) {
      ResetData();
      return false;
    }
    BlockHandle handle;
    Status s = BlockHandle::DecodeFrom(index_.value(), &handle);
    // Re-seeking within the block already open costs no read.
    if (s.ok() && data_ != nullptr && handle.offset == data_handle_.offset) return true;
    // A key-first block found damaged when its value was read: sticky.
    if (data_ != nullptr && !data_->status().ok()) {
      status_ = data_->status();
      ResetData();
      return false;
    }
    ResetData();  // before the next block is read: one block in memory, not two
    std::string large_key;
    bool large = false;
    bool cached = false;
    BlockContents contents;
    // A block that may hold one large entry: looked up in the cache, else
    // peeked.
    const bool peekable = key_first_ && handle.size >= kLargeEntryBlockBytes;
    if (s.ok() && peekable) {
      s = table_->CheckDataHandle(handle);
      // A cached block costs no read: it is used whole, not peeked.
      if (s.ok()) cached = table_->LookupCachedBlock(handle, &contents);
      if (s.ok() && !cached) s = PeekLargeEntry(*table_->file_, handle, &large_key, &large);
    }
    if (s.ok() && !large && !cached) {
      s = table_->ReadDataBlock(handle, verify_checksums_, fill_cache_, &contents,
                                /*look_in_cache=*/!peekable);
    }
    if (!s.ok()) {
      status_ = s;
      return false;
    }
    if (large) {
      auto iter = std::make_unique<LargeEntryIterator>(
          std::move(large_key),
          [table = table_, handle, verify = verify_checksums_, fill = fill_cache_](
              BlockContents* block) { return table->ReadDataBlock(handle, verify, fill, block); },
          ChecksReads());
      large_ = iter.get();
      data_ = std::move(iter);
    } else {
      data_ = std::make_unique<BlockIterator>(std::move(contents));
    }
    data_handle_ = handle;
    return true;
  }

  // A data block always holds at least one entry; an empty one is damage,
  // not a block to skip silently.
  void CheckNotEmpty() {
    if (!data_->Valid() && data_->status().ok())
      status_ = Status::Corruption("sst: empty data block");
  }
  void SeekDataToFirst() {
    data_->SeekToFirst();
    CheckNotEmpty();
  }
  void SeekDataToLast() {
    data_->SeekToLast();
    CheckNotEmpty();
  }

  // Moves to the first entry of a following block while data_ is exhausted.
  void SkipEmptyForward() {
    while (Healthy() && (data_ == nullptr || !data_->Valid())) {
      if (!index_.Valid()) {
        ResetData();
        return;
      }
      index_.Next();
      if (LoadDataBlock()) SeekDataToFirst();
    }
  }

  // Moves to the last entry of a preceding block while data_ is exhausted.
  void SkipEmptyBackward() {
    while (Healthy() && (data_ == nullptr || !data_->Valid())) {
      if (!index_.Valid()) {
        ResetData();
        return;
      }
      index_.Prev();
      if (LoadDataBlock()) SeekDataToLast();
    }
  }

  const std::shared_ptr<const Table> owner_;  // first: outlives the members viewing it
  const Table* const table_;
  const bool verify_checksums_;
  const bool fill_cache_;  // add blocks read from the file to the cache
  const bool key_first_;   // read blocks of one large entry key first
  BlockIterator index_;
  std::unique_ptr<InternalIterator> data_;  // null when not on a block
  LargeEntryIterator* large_ = nullptr;     // data_, when it is one
  BlockHandle data_handle_;                 // where data_'s block lies
  Status status_;                           // first error loading a block
};

Table::~Table() = default;

namespace {

// True if [handle.offset, handle.offset + size + trailer) lies within [0, limit).
bool HandleWithin(const BlockHandle& handle, std::uint64_t limit) {
  return handle.offset <= limit && handle.size <= limit - handle.offset &&
         kBlockTrailerSize <= limit - handle.offset - handle.size;
}

// Both keys empty (no entries), or internal keys with smallest <= largest:
// what a manifest rebuilt from the properties will rely on.
bool KeyRangeWellFormed(const TableProperties& p) {
  if (p.smallest_key.empty() && p.largest_key.empty()) return true;
  ParsedInternalKey smallest;
  ParsedInternalKey largest;
  return ParseInternalKey(p.smallest_key, &smallest) && ParseInternalKey(p.largest_key, &largest) &&
         InternalKeyCompare(p.smallest_key, p.largest_key) <= 0;
}

}  // namespace

Status Table::Open(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
                   std::uint64_t file_size, BlockCache* cache, std::unique_ptr<Table>* table,
                   std::uint64_t cache_id) {
  table->reset();
  if (file_size < kFooterSize) return Status::Corruption("not an arenakv table (file too short)");
  std::string footer_bytes(kFooterSize, '\0');
  std::string_view footer_input;
  Status s = file->Read(file_size - kFooterSize, kFooterSize, &footer_input, footer_bytes.data());
  if (!s.ok()) return s;
  if (footer_input.size() != kFooterSize) {
    return Status::Corruption("not an arenakv table (footer read short)");
  }
  Footer footer;
  s = Footer::DecodeFrom(footer_input, &footer);
  if (!s.ok()) return s;

  const std::uint64_t blocks_end = file_size - kFooterSize;
  const bool has_filter = footer.filter.size != 0;
  if (!HandleWithin(footer.index, blocks_end) || !HandleWithin(footer.properties, blocks_end) ||
      (has_filter && !HandleWithin(footer.filter, blocks_end))) {
    return Status::Corruption("sst: footer points past the end of the file");
  }

  std::unique_ptr<Table> t(new Table());
  t->options_ = options;
  t->file_size_ = file_size;
  t->has_filter_ = has_filter;
  t->data_end_ = std::min(footer.index.offset, footer.properties.offset);
  if (has_filter) t->data_end_ = std::min(t->data_end_, footer.filter.offset);

  s = ReadBlock(*file, footer.index, /*verify_checksum=*/true, &t->index_block_);
  if (s.ok() && has_filter) s = ReadBlock(*file, footer.filter, true, &t->filter_block_);
  std::string properties_block;
  if (s.ok()) s = ReadBlock(*file, footer.properties, true, &properties_block);
  if (s.ok()) s = DecodeProperties(properties_block, &t->properties_);
  if (!s.ok()) return s;

  const TableProperties& p = t->properties_;
  if (p.data_bytes != t->data_end_ || p.index_bytes != footer.index.size + kBlockTrailerSize ||
      p.filter_bytes != (has_filter ? footer.filter.size + kBlockTrailerSize : 0) ||
      (p.num_entries == 0) != p.smallest_key.empty() ||
      (p.num_entries == 0) != p.largest_key.empty() || p.num_deletions > p.num_entries ||
      p.num_data_blocks > p.num_entries || p.smallest_sequence > p.largest_sequence ||
      !KeyRangeWellFormed(p)) {
    return Status::Corruption("sst: properties disagree with the file layout");
  }
  t->file_ = std::move(file);
  s = t->CheckIndex();
  if (!s.ok()) return s;
  // Only now: an id taken for a table that fails to open would be wasted.
  if (cache != nullptr) {
    t->cache_ = cache;
    t->cache_id_ = cache_id != 0 ? cache_id : cache->NewId();
  }
  *table = std::move(t);
  return Status::OK();
}

std::size_t Table::MemoryUsage() const {
  // The object, its file and the allocations' headers: a fixed estimate.
  constexpr std::size_t kOverhead = 512;
  return kOverhead + sizeof(Table) + index_block_.capacity() + filter_block_.capacity() +
         properties_.smallest_key.capacity() + properties_.largest_key.capacity();
}

Status Table::CheckIndex() const {
  BlockIterator index(BlockContents::View(index_block_));
  std::uint64_t entries = 0;
  for (index.SeekToFirst(); index.Valid(); index.Next()) {
    BlockHandle handle;
    Status s = BlockHandle::DecodeFrom(index.value(), &handle);
    if (s.ok()) s = CheckDataHandle(handle);
    if (!s.ok()) return s;
    ++entries;
  }
  if (!index.status().ok()) return index.status();
  if (entries != properties_.num_data_blocks) {
    return Status::Corruption("sst: index entries disagree with the number of data blocks");
  }
  return Status::OK();
}

Status Table::CheckDataHandle(const BlockHandle& handle) const {
  if (!HandleWithin(handle, data_end_)) {
    return Status::Corruption("sst: data block handle outside the data region");
  }
  return Status::OK();
}

bool Table::LookupCachedBlock(const BlockHandle& handle, BlockContents* contents) const {
  if (cache_ == nullptr) return false;
  BlockCache::Handle* hit = cache_->Lookup(cache_id_, handle.offset);
  if (hit == nullptr) return false;
  // Cached contents are uncompressed, so their size is handle.size only for
  // blocks stored uncompressed; the key (table id, offset) is unique.
  *contents = BlockContents::Pinned(cache_, hit);
  return true;
}

Status Table::ReadDataBlock(const BlockHandle& handle, bool verify_checksums, bool fill_cache,
                            BlockContents* contents, bool look_in_cache) const {
  Status s = CheckDataHandle(handle);
  if (!s.ok()) return s;
  if (look_in_cache && LookupCachedBlock(handle, contents)) return Status::OK();
  // A block headed for the cache is verified whatever the caller asked: other
  // readers will trust it. The cache holds (and is charged for) the
  // uncompressed contents, so a hit costs no decompression.
  std::string block;
  if (cache_ != nullptr && fill_cache && !compressed_blocks_seen_.load(std::memory_order_relaxed)) {
    // Read into a cache entry: no copy for a block stored uncompressed.
    const std::size_t stored = static_cast<std::size_t>(handle.size) + kBlockTrailerSize;
    // Abandons the entry unless it is committed, also when decompressing throws.
    struct Reservation {
      BlockCache* cache;
      BlockCache::Handle* entry;
      ~Reservation() {
        if (entry != nullptr) cache->Abandon(entry);
      }
    } reserved{cache_, cache_->Reserve(cache_id_, handle.offset, stored)};
    if (reserved.entry == nullptr) {
      s = ReadBlock(*file_, handle, /*verify_checksum=*/true, &block);
    } else {
      CompressionType type = CompressionType::kNone;
      char* buffer = BlockCache::Buffer(reserved.entry);
      s = ReadRawBlock(*file_, handle, /*verify_checksum=*/true, buffer, &type);
      if (s.ok() && type == CompressionType::kNone) {
        BlockCache::Handle* entry = std::exchange(reserved.entry, nullptr);
        *contents = BlockContents::Pinned(cache_, cache_->Commit(entry, handle.size));
        return Status::OK();
      }
      if (s.ok()) {
        compressed_blocks_seen_.store(true, std::memory_order_relaxed);
        s = UncompressBlock(type, std::string_view(buffer, handle.size), &block);
      }
    }
  } else {
    s = ReadBlock(*file_, handle, verify_checksums || (cache_ != nullptr && fill_cache), &block);
  }
  if (!s.ok()) return s;
  if (cache_ != nullptr && fill_cache) {
    if (BlockCache::Handle* inserted = cache_->Insert(cache_id_, handle.offset, block);
        inserted != nullptr) {
      *contents = BlockContents::Pinned(cache_, inserted);
      return Status::OK();
    }
  }
  *contents = BlockContents::Owned(std::move(block));
  return Status::OK();
}

std::unique_ptr<InternalIterator> Table::NewIterator(bool verify_checksums, bool fill_cache,
                                                     bool key_first) const {
  return std::make_unique<TableIterator>(this, verify_checksums, fill_cache, key_first);
}

std::unique_ptr<InternalIterator> Table::NewIterator(std::shared_ptr<const Table> table,
                                                     bool verify_checksums, bool fill_cache,
                                                     bool key_first) {
  const Table* raw = table.get();
  return std::make_unique<TableIterator>(raw, verify_checksums, fill_cache, key_first,
                                         std::move(table));
}

bool Table::KeyMayMatch(std::string_view user_key) const {
  return !has_filter_ || BloomFilterMayMatch(filter_block_, user_key);
}

Status Table::Get(std::string_view user_key, SequenceNumber snapshot, bool verify_checksums,
                  GetResult* result, std::string* value) const {
  *result = GetResult::kNotPresent;
  if (!KeyMayMatch(user_key)) return Status::OK();
  // Key first: a value of a block of its own is read into *value directly.
  TableIterator iter(this, verify_checksums, /*fill_cache=*/true, /*key_first=*/true);
  iter.Seek(InternalKey(user_key, std::min(snapshot, kMaxSequenceNumber), kKindForSeek));
  if (!iter.Valid()) return iter.status();
  ParsedInternalKey parsed;
  if (!ParseInternalKey(iter.key(), &parsed)) return Status::Corruption("sst: bad internal key");
  if (parsed.user_key != user_key || parsed.kind == EntryKind::kDelete || value == nullptr) {
    Status s = iter.CheckPeekedBlock();
    if (!s.ok()) return s;
  }
  if (parsed.user_key != user_key) return Status::OK();
  if (parsed.kind == EntryKind::kDelete) {
    *result = GetResult::kDeleted;
  } else {
    if (value != nullptr) {
      Status s = iter.ReadValueInto(value);
      if (!s.ok()) return s;
    }
    *result = GetResult::kFound;
  }
  return Status::OK();
}

Status Table::VerifyAll() const {
  TableProperties seen;
  std::string previous_separator;
  std::uint64_t expected_offset = 0;  // data blocks are written back to back
  BlockIterator index(BlockContents::View(index_block_));
  for (index.SeekToFirst(); index.Valid(); index.Next()) {
    BlockHandle handle;
    Status s = BlockHandle::DecodeFrom(index.value(), &handle);
    if (s.ok()) s = CheckDataHandle(handle);
    if (s.ok() && handle.offset != expected_offset) {
      s = Status::Corruption("sst: data blocks are not contiguous");
    }
    std::string contents;
    if (s.ok()) s = ReadBlock(*file_, handle, /*verify_checksum=*/true, &contents);
    if (!s.ok()) return s;
    expected_offset = handle.offset + handle.size + kBlockTrailerSize;
    ++seen.num_data_blocks;

    BlockIterator block(BlockContents::View(contents));
    block.SeekToFirst();
    if (!block.Valid() && block.status().ok()) return Status::Corruption("sst: empty data block");
    for (; block.Valid(); block.Next()) {
      const std::string_view key = block.key();
      ParsedInternalKey parsed;
      if (!ParseInternalKey(key, &parsed)) return Status::Corruption("sst: bad internal key");
      if (seen.num_entries > 0 && InternalKeyCompare(seen.largest_key, key) >= 0) {
        return Status::Corruption("sst: keys out of order");
      }
      if (InternalKeyCompare(key, index.key()) > 0) {
        return Status::Corruption("sst: key above its block's index separator");
      }
      if (!previous_separator.empty() && InternalKeyCompare(key, previous_separator) <= 0) {
        return Status::Corruption("sst: key not above the previous block's index separator");
      }
      if (!KeyMayMatch(parsed.user_key)) {
        return Status::Corruption("sst: bloom filter misses a key of the table");
      }
      seen.AddEntry(key, parsed, block.value().size());
    }
    if (!block.status().ok()) return block.status();
    previous_separator.assign(index.key());
  }
  if (!index.status().ok()) return index.status();

  const TableProperties& p = properties_;
  if (expected_offset != data_end_ || seen.num_data_blocks != p.num_data_blocks ||
      seen.num_entries != p.num_entries || seen.num_deletions != p.num_deletions ||
      seen.raw_key_bytes != p.raw_key_bytes || seen.raw_value_bytes != p.raw_value_bytes ||
      seen.smallest_sequence != p.smallest_sequence ||
      seen.largest_sequence != p.largest_sequence || seen.smallest_key != p.smallest_key ||
      seen.largest_key != p.largest_key) {
    return Status::Corruption("sst: properties disagree with the entries");
  }
  return Status::OK();
}

}  // namespace arenakv
