// SPDX-License-Identifier: Apache-2.0
// write_batch_fuzz: WriteBatch::FromContents on arbitrary bytes.
//
// Feeds: the input, as the encoded batch (docs/FORMATS.md, "Write batch")
// that a WAL record would carry.
// Checks: FromContents either rejects the bytes with Corruption, leaving the
// batch it was given unchanged, or accepts them; an accepted batch Iterates
// with OK, Count() records, and rebuilt with Put/Delete from what Iterate
// reported (and the same sequence) it encodes to the input (byte for byte
// unless the input spelled a length as a longer varint than needed), and that
// encoding is a fixed point.
// A crash means the decoder reads outside its input, accepts a malformed
// batch, or the encoding is not one-to-one.
#include <arenakv/mvcc/write_batch.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz_util.h"

namespace arenakv {
namespace {

// Replays every operation into another batch.
class Rebuilder final : public WriteBatch::Handler {
 public:
  explicit Rebuilder(WriteBatch* out) : out_(out) {}
  void Put(std::string_view key, std::string_view value) override {
    out_->Put(key, value);
    ++count_;
  }
  void Delete(std::string_view key) override {
    out_->Delete(key);
    ++count_;
  }
  std::size_t count() const { return count_; }

 private:
  WriteBatch* out_;
  std::size_t count_ = 0;
};

void FuzzWriteBatch(std::string_view input) {
  WriteBatch batch;
  batch.Put("sentinel", "unchanged");
  const std::string before(batch.Contents());
  const Status s = WriteBatch::FromContents(input, &batch);
  if (!s.ok()) {
    FUZZ_CHECK(s.IsCorruption(), s.ToString());
    FUZZ_CHECK(batch.Contents() == before, "a rejected FromContents changed the batch");
    return;
  }
  FUZZ_CHECK(batch.Contents() == input, "FromContents kept other bytes than its input");
  FUZZ_CHECK(batch.ApproximateSize() == input.size(), "ApproximateSize != encoded size");

  WriteBatch rebuilt;
  rebuilt.SetSequence(batch.Sequence());
  Rebuilder rebuilder(&rebuilt);
  const Status it = batch.Iterate(rebuilder);
  FUZZ_CHECK(it.ok(), "Iterate of an accepted batch: " + it.ToString());
  FUZZ_CHECK(rebuilder.count() == batch.Count(), "Iterate reported another count than Count()");
  FUZZ_CHECK(rebuilt.Count() == batch.Count(), "rebuilt batch count differs");
  // The decoder accepts a length written as a longer varint than needed
  // ("80 00" for 0; docs/FORMATS.md does not forbid it), which re-encodes
  // shorter. Canonical varints are the shortest, so an encoding of the same
  // size is all canonical and must come back byte for byte.
  FUZZ_CHECK(rebuilt.ApproximateSize() <= input.size(), "re-encoding the batch grew it");
  if (rebuilt.ApproximateSize() == input.size()) {
    FUZZ_CHECK(rebuilt.Contents() == input, "re-encoding the batch gives other bytes");
  }

  // The re-encoded batch decodes to the same operations and encodes the same.
  WriteBatch again;
  const Status s2 = WriteBatch::FromContents(rebuilt.Contents(), &again);
  FUZZ_CHECK(s2.ok(), "re-encoded batch does not decode: " + s2.ToString());
  WriteBatch rebuilt_again;
  rebuilt_again.SetSequence(again.Sequence());
  Rebuilder rebuilder_again(&rebuilt_again);
  FUZZ_CHECK(again.Iterate(rebuilder_again).ok(), "Iterate of the re-encoded batch");
  FUZZ_CHECK(rebuilt_again.Contents() == rebuilt.Contents(), "the re-encoding is not stable");
}

}  // namespace
}  // namespace arenakv

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  arenakv::FuzzWriteBatch(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
