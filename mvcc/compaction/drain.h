// SPDX-License-Identifier: Apache-2.0
// DrainThroughGc: the loop a flush and a compaction share. It walks `input`
// from its first entry (InternalKeyCompare order), keeps what the job's
// KeyHistoryGc keeps, and adds that to the job's TableOutput.
//
// A kept put that every reader sees (KeyHistoryGc::VisibleToAll) and that no
// deeper level may hold (KeyHistoryGc::Bottommost, never true for a flush)
// is written with sequence 0, which encodes in one byte: every reader sees
// it whatever its sequence, and newer kept versions still sort before it.
//
// Not thread-safe: the calling job owns `input`, `gc` and `output`.
#ifndef ARENAKV_MVCC_COMPACTION_DRAIN_H_
#define ARENAKV_MVCC_COMPACTION_DRAIN_H_

#include <arenakv/mvcc/status.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string_view>

#include "mvcc/compaction/key_history_gc.h"
#include "mvcc/compaction/table_output.h"
#include "mvcc/iter/internal_iterator.h"

namespace arenakv {

struct DrainOptions {
  // Names the input in the Corruption message for a malformed key.
  std::string_view source = "input";
  // If set, polled every 1024 entries: once true, the drain stops with Busy.
  const std::atomic<bool>* stop = nullptr;
  // If set, called once per user key before its first entry is judged: true
  // finishes the open output file first (files end between user keys only).
  std::function<bool(std::string_view user_key)> cut_before;
};

struct DrainStats {
  std::uint64_t entries_read = 0;
  std::uint64_t entries_written = 0;
  std::uint64_t zeroed_sequences = 0;  // puts written with sequence 0
};

// Corruption if an entry's key does not parse; the output's error on failed
// I/O; `input`'s status at the end; Busy if stopped. The caller finishes (or
// abandons) `output` afterwards.
Status DrainThroughGc(InternalIterator* input, KeyHistoryGc* gc, TableOutput* output,
                      const DrainOptions& options, DrainStats* stats);

}  // namespace arenakv

#endif  // ARENAKV_MVCC_COMPACTION_DRAIN_H_
