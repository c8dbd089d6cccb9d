// SPDX-License-Identifier: Apache-2.0
// table_fuzz: opening and reading an SST file made of arbitrary bytes.
//
// Feeds: the input, as a whole table file (docs/FORMATS.md, "SST file") in an
// in-memory RandomAccessFile: Table::Open parses the footer, index, filter and
// properties blocks; iterators and Get parse data blocks (stored or
// compressed). The seeds are small tables the engine's TableBuilder wrote.
// Checks: every status is OK or Corruption (the file itself never fails);
// Open's result then VerifyAll, forward and backward scans (checksums on, and
// once through a block cache, read twice so the second scan hits it), Seek
// and SeekForPrev to keys seen, Get of a few user keys at two snapshots; a
// scan with checksums off just must not crash. When both checked scans end
// OK, the backward scan yields the forward scan's entries in reverse; a failed
// Get reports no entry.
// A crash means a parser read outside a block or the file (ASan), an integer
// overflowed in a size or offset computation (UBSan), a corrupt file made the
// reader allocate without bound or loop, or a Corruption was reported as
// something else.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mvcc/iter/internal_iterator.h"
#include "mvcc/table/block_cache.h"
#include "mvcc/table/table.h"
#include "mvcc/table/table_format.h"
#include "mvcc/util/dbformat.h"
#include "tests/fuzz/fuzz_util.h"

namespace arenakv {
namespace {

constexpr std::size_t kMaxSteps = 100000;  // a scan of a fuzz input is never longer

void CheckStatus(const Status& s, const char* what) {
  FUZZ_CHECK(s.ok() || s.IsCorruption(), std::string(what) + ": " + s.ToString());
}

Status OpenTable(std::string_view input, BlockCache* cache, std::unique_ptr<Table>* table) {
  return Table::Open(TableOptions(), std::make_unique<fuzz::StringRandomAccessFile>(input),
                     input.size(), cache, table);
}

using Entries = std::vector<std::pair<std::string, std::string>>;

Entries ScanForward(InternalIterator* iter, Status* status) {
  Entries entries;
  for (iter->SeekToFirst(); iter->Valid() && entries.size() < kMaxSteps; iter->Next()) {
    entries.emplace_back(iter->key(), iter->value());
  }
  *status = iter->status();
  CheckStatus(*status, "forward scan");
  return entries;
}

Entries ScanBackward(InternalIterator* iter, Status* status) {
  Entries entries;
  for (iter->SeekToLast(); iter->Valid() && entries.size() < kMaxSteps; iter->Prev()) {
    entries.emplace_back(iter->key(), iter->value());
  }
  *status = iter->status();
  CheckStatus(*status, "backward scan");
  return entries;
}

void FuzzTable(std::string_view input) {
  std::unique_ptr<Table> table;
  Status s = OpenTable(input, nullptr, &table);
  CheckStatus(s, "Open");
  if (!s.ok()) return;

  CheckStatus(table->VerifyAll(), "VerifyAll");

  std::unique_ptr<InternalIterator> iter = table->NewIterator(/*verify_checksums=*/true);
  Status forward_status, backward_status;
  const Entries forward = ScanForward(iter.get(), &forward_status);
  const Entries backward = ScanBackward(iter.get(), &backward_status);
  if (forward_status.ok() && backward_status.ok() && forward.size() < kMaxSteps) {
    FUZZ_CHECK(forward.size() == backward.size(), "backward scan has another length");
    for (std::size_t i = 0; i < forward.size(); ++i) {
      FUZZ_CHECK(forward[i] == backward[backward.size() - 1 - i], "backward scan differs");
    }
  }

  // Seeks and Gets: keys the scan saw, and a few others.
  std::vector<std::string> user_keys = {"", "a", "key000002", std::string(1, '\xff')};
  for (std::size_t i = 0; i < forward.size() && i < 8; ++i) {
    const std::string& key = forward[i * forward.size() / 8].first;
    iter->Seek(key);
    CheckStatus(iter->status(), "Seek");
    iter->SeekForPrev(key);
    CheckStatus(iter->status(), "SeekForPrev");
    if (iter->Valid()) iter->Prev();
    CheckStatus(iter->status(), "Prev");
    ParsedInternalKey parsed;
    if (ParseInternalKey(key, &parsed)) user_keys.emplace_back(parsed.user_key);
  }
  for (const std::string& user_key : user_keys) {
    for (const SequenceNumber snapshot : {kMaxSequenceNumber, SequenceNumber{5}}) {
      Table::GetResult result = Table::GetResult::kNotPresent;
      std::string value;
      s = table->Get(user_key, snapshot, /*verify_checksums=*/true, &result, &value);
      CheckStatus(s, "Get");
      if (!s.ok()) {
        FUZZ_CHECK(result == Table::GetResult::kNotPresent, "a failed Get reported an entry");
      }
    }
  }

  // Checksums off: a damaged block may read as other entries, never crash.
  std::unique_ptr<InternalIterator> unchecked = table->NewIterator(/*verify_checksums=*/false);
  std::size_t steps = 0;
  for (unchecked->SeekToFirst(); unchecked->Valid() && steps < kMaxSteps; unchecked->Next()) {
    ++steps;
  }
  for (unchecked->SeekToLast(); unchecked->Valid() && steps < 2 * kMaxSteps; unchecked->Prev()) {
    ++steps;
  }
  for (const auto& entry : forward) {
    unchecked->Seek(entry.first);
    if (++steps > 3 * kMaxSteps) break;
  }
  CheckStatus(unchecked->status(), "unchecked scan");
}

// Through a block cache: the first scan fills it, the second reads from it and
// must see the same. The cache lives for one input: one kept across inputs
// would hold memory between runs, and libFuzzer then runs a full leak scan
// after every input (it was 85% of the time, at about 800 inputs/s).
void FuzzTableCached(std::string_view input) {
  BlockCache cache(1 << 20, /*shard_bits=*/0);
  std::unique_ptr<Table> table;
  const Status s = OpenTable(input, &cache, &table);
  CheckStatus(s, "Open (cached)");
  if (!s.ok()) return;
  std::unique_ptr<InternalIterator> iter = table->NewIterator(/*verify_checksums=*/true);
  Status first_status, second_status;
  const Entries first = ScanForward(iter.get(), &first_status);
  const Entries second = ScanForward(iter.get(), &second_status);
  if (first_status.ok()) {
    FUZZ_CHECK(second_status.ok() && first == second, "a cached scan differs from the first");
  }
}

}  // namespace
}  // namespace arenakv

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  arenakv::FuzzTable(input);
  arenakv::FuzzTableCached(input);
  return 0;
}
