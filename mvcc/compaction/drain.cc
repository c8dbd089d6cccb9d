// SPDX-License-Identifier: Apache-2.0
#include "mvcc/compaction/drain.h"

#include <string>

#include "mvcc/util/coding.h"
#include "mvcc/util/dbformat.h"

namespace arenakv {

Status DrainThroughGc(InternalIterator* input, KeyHistoryGc* gc, TableOutput* output,
                      const DrainOptions& options, DrainStats* stats) {
  std::string last_user_key;
  bool has_last = false;
  std::string zeroed;
  for (input->SeekToFirst(); input->Valid(); input->Next()) {
    if ((stats->entries_read++ & 1023) == 0 && options.stop != nullptr &&
        options.stop->load(std::memory_order_relaxed)) {
      return Status::Busy("compaction stopped: the DB is closing");
    }
    ParsedInternalKey key;
    if (!ParseInternalKey(input->key(), &key)) {
      return Status::Corruption(std::string(options.source) + " holds a malformed internal key");
    }
    if (options.cut_before && (!has_last || key.user_key != last_user_key)) {
      if (options.cut_before(key.user_key)) {
        Status s = output->FinishFile();
        if (!s.ok()) return s;
      }
      last_user_key.assign(key.user_key);
      has_last = true;
    }
    if (!gc->Keep(key)) continue;
    std::string_view out_key = input->key();
    if (key.kind == EntryKind::kPut && key.sequence != 0 && gc->VisibleToAll(key.sequence) &&
        gc->Bottommost(key.user_key)) {
      zeroed.assign(key.user_key);
      PutFixed64(&zeroed, PackTrailer(0, EntryKind::kPut));
      out_key = zeroed;
      ++stats->zeroed_sequences;
    }
    // A value may be read only now (a large entry read key first), and the
    // read can fail, giving an empty view: no empty value goes out for it.
    const std::string_view value = input->value();
    if (value.empty()) {
      if (Status read = input->status(); !read.ok()) return read;
    }
    Status s = output->Add(out_key, value);
    if (!s.ok()) return s;
    ++stats->entries_written;
  }
  return input->status();
}

}  // namespace arenakv
