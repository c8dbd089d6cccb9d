// SPDX-License-Identifier: Apache-2.0
// arenakv::WriteBatch: a group of puts and deletes applied atomically.
//
// DB::Write applies every operation of a batch or none of them, also across
// crashes: the batch's encoded bytes (Contents()) are what the engine appends
// to the write-ahead log as one record, and recovery replays whole batches
// only. docs/FORMATS.md, "Write batch", describes the encoding byte by byte:
//
//   sequence  fixed64   sequence number of the first operation
//   count     fixed32   number of records
//   records   count x { kind u8 (1 = put, 0 = delete), key (varint32 length +
//                       bytes), value (varint32 length + bytes; puts only) }
//
// Operations keep the order they were added in; the i-th record gets sequence
// Sequence() + i when applied. Keys and values are arbitrary bytes (NUL
// included); empty keys and values are allowed. A batch holds copies of its
// keys and values, so the caller's buffers may be reused at once.
//
// Not thread-safe: one thread builds a batch; any number may read a batch
// nobody modifies.
#ifndef ARENAKV_MVCC_WRITE_BATCH_H_
#define ARENAKV_MVCC_WRITE_BATCH_H_

#include <arenakv/mvcc/status.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace arenakv {

class WriteBatch {
 public:
  // Receives a batch's operations, in order, from Iterate.
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void Put(std::string_view key, std::string_view value) = 0;
    virtual void Delete(std::string_view key) = 0;
  };

  // Bytes of the header (sequence + count) that starts every encoding.
  static constexpr std::size_t kHeaderSize = 12;

  WriteBatch();

  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  // Drops every operation and resets the sequence to 0.
  void Clear();
  // Makes room for an encoding of `bytes` (header included) without
  // reallocating, e.g. when the size of what will be added is known.
  void Reserve(std::size_t bytes) { rep_.reserve(bytes); }

  // Number of operations (puts plus deletes).
  std::size_t Count() const;
  // Size of the encoding in bytes (== Contents().size()), header included.
  std::size_t ApproximateSize() const { return rep_.size(); }

  // The sequence number of the first operation; the engine assigns it.
  std::uint64_t Sequence() const;
  void SetSequence(std::uint64_t sequence);

  // The encoded batch (docs/FORMATS.md, "Write batch"); valid until the batch
  // is next modified.
  std::string_view Contents() const { return rep_; }

  // Replaces *batch with the batch encoded in `contents`. Returns Corruption,
  // leaving *batch unchanged, if `contents` is not exactly one well-formed
  // batch: a short header, a record cut short, an unknown kind byte, a count
  // that disagrees with the records, or bytes after the last record. Never
  // reads outside `contents`.
  static Status FromContents(std::string_view contents, WriteBatch* batch);

  // Calls handler.Put / handler.Delete for each operation in order. Returns
  // Corruption (after calling the handler for the records before the bad one)
  // if the encoding is malformed, which can only happen to a batch whose
  // contents were not validated; OK otherwise.
  Status Iterate(Handler& handler) const;

 private:
  void SetCount(std::uint32_t count);

  std::string rep_;  // the encoding; always at least kHeaderSize bytes
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_WRITE_BATCH_H_
