// SPDX-License-Identifier: Apache-2.0
#include "tools/kvctl/dump_commands.h"

#include <arenakv/mvcc/file_system.h>
#include <arenakv/mvcc/write_batch.h>

#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include "mvcc/db/wal_marker.h"
#include "mvcc/env/filename.h"
#include "mvcc/iter/internal_iterator.h"
#include "mvcc/table/table.h"
#include "mvcc/util/dbformat.h"
#include "mvcc/version/version_edit.h"
#include "tools/kvctl/bytes_text.h"
#include "tools/kvctl/error_report.h"
#include "tools/kvctl/file_readers.h"

namespace arenakv::kvctl {
namespace {

// Prints each operation of a batch, numbering sequences from the batch's.
class BatchPrinter : public WriteBatch::Handler {
 public:
  BatchPrinter(SequenceNumber first, bool hex) : sequence_(first), hex_(hex) {}

  void Put(std::string_view key, std::string_view value) override {
    std::cout << "  " << ShowBytes(key, hex_, true) << " @" << sequence_++ << " put "
              << ShowBytes(value, hex_, true) << "\n";
  }
  void Delete(std::string_view key) override {
    std::cout << "  " << ShowBytes(key, hex_, true) << " @" << sequence_++ << " delete\n";
  }

 private:
  SequenceNumber sequence_;
  const bool hex_;
};

// "'user key' @seq kind", or the raw bytes marked bad if not an internal key.
std::string ShowInternalKey(std::string_view internal_key, bool hex) {
  ParsedInternalKey parsed;
  if (!ParseInternalKey(internal_key, &parsed)) {
    return "<bad internal key " + ShowBytes(internal_key, hex, true) + ">";
  }
  return ShowBytes(parsed.user_key, hex, true) + " @" + std::to_string(parsed.sequence) +
         (parsed.kind == EntryKind::kPut ? " put" : " delete");
}

void PrintProperties(const TableProperties& p, bool hex) {
  std::cout << "num_entries: " << p.num_entries << "\n"
            << "num_deletions: " << p.num_deletions << "\n"
            << "num_data_blocks: " << p.num_data_blocks << "\n"
            << "raw_key_bytes: " << p.raw_key_bytes << "\n"
            << "raw_value_bytes: " << p.raw_value_bytes << "\n"
            << "data_bytes: " << p.data_bytes << "\n"
            << "index_bytes: " << p.index_bytes << "\n"
            << "filter_bytes: " << p.filter_bytes << "\n"
            << "smallest_sequence: " << p.smallest_sequence << "\n"
            << "largest_sequence: " << p.largest_sequence << "\n";
  if (p.num_entries > 0) {
    std::cout << "smallest_key: " << ShowInternalKey(p.smallest_key, hex) << "\n"
              << "largest_key: " << ShowInternalKey(p.largest_key, hex) << "\n";
  }
}

// Indents every line of a multi-line text by two spaces.
void PrintIndented(std::string_view text) {
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::cout << "  " << text.substr(0, end) << "\n";
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

}  // namespace

int RunDumpWal(const CommandLine& line) {
  const Status s = ForEachLogRecord(
      FileSystem::Default(), line.file, [&](std::string_view record, std::uint64_t index) {
        PredecessorMarker marker;
        if (DecodePredecessorMarker(record, &marker)) {
          std::cout << "predecessor marker: log " << marker.log_number << " ends at sequence "
                    << marker.last << (marker.has_records ? "" : " (no batches)") << "\n";
          return Status::OK();
        }
        WriteBatch batch;
        Status r = WriteBatch::FromContents(record, &batch);
        if (!r.ok())
          return Status::Corruption("record " + std::to_string(index) + ": " + r.message());
        std::cout << "batch sequence=" << batch.Sequence() << " count=" << batch.Count() << "\n";
        BatchPrinter printer(batch.Sequence(), line.hex);
        return batch.Iterate(printer);
      });
  if (!s.ok()) return ReportError(line.file, s);
  return kExitOk;
}

int RunDumpSst(const CommandLine& line) {
  std::unique_ptr<Table> table;
  Status s = OpenTableFile(FileSystem::Default(), line.file, &table);
  if (!s.ok()) return ReportError(line.file, s);
  PrintProperties(table->properties(), line.hex);
  std::cout << "entries:\n";
  std::unique_ptr<InternalIterator> it = table->NewIterator(/*verify_checksums=*/true);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::cout << "  " << ShowInternalKey(it->key(), line.hex);
    ParsedInternalKey parsed;
    if (ParseInternalKey(it->key(), &parsed) && parsed.kind == EntryKind::kPut) {
      std::cout << " " << ShowBytes(it->value(), line.hex, true);
    }
    std::cout << "\n";
  }
  s = it->status();
  if (!s.ok()) return ReportError(line.file, s);
  return kExitOk;
}

int RunDumpManifest(const CommandLine& line) {
  FileSystem* fs = FileSystem::Default();
  std::string path = line.file;
  if (path.empty()) {
    if (line.db.empty()) return ReportUsage("dump-manifest needs --db DIR or a FILE");
    std::string name;
    const Status s = ReadCurrentFile(fs, line.db, &name);
    if (!s.ok()) return ReportError("reading " + CurrentFileName(line.db), s);
    path = line.db + "/" + name;
  }
  std::cout << "manifest: " << path << "\n";
  std::uint64_t records = 0;
  Status s = ForEachLogRecord(fs, path, [&](std::string_view record, std::uint64_t index) {
    ++records;
    VersionEdit edit;
    Status r = edit.DecodeFrom(record);
    if (!r.ok()) {
      return Status::Corruption("record " + std::to_string(index) + ": " + r.ToString());
    }
    std::cout << "edit " << index << "\n";
    PrintIndented(edit.DebugString());
    return Status::OK();
  });
  // Every manifest starts with a snapshot edit; none means this is no manifest.
  if (s.ok() && records == 0) s = Status::Corruption("no version edits (not a manifest?)");
  if (!s.ok()) return ReportError(path, s);
  return kExitOk;
}

}  // namespace arenakv::kvctl
