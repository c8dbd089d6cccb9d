// SPDX-License-Identifier: Apache-2.0
#include "tools/kvctl/verify_command.h"

#include <arenakv/mvcc/file_system.h>
#include <arenakv/mvcc/write_batch.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mvcc/db/wal_marker.h"
#include "mvcc/env/filename.h"
#include "mvcc/table/table.h"
#include "mvcc/version/version_edit.h"
#include "tools/kvctl/error_report.h"
#include "tools/kvctl/file_readers.h"

namespace arenakv::kvctl {
namespace {

Status VerifyTable(FileSystem* fs, const std::string& path) {
  std::unique_ptr<Table> table;
  Status s = OpenTableFile(fs, path, &table);
  if (!s.ok()) return s;
  return table->VerifyAll();
}

Status VerifyWal(FileSystem* fs, const std::string& path) {
  return ForEachLogRecord(fs, path, [](std::string_view record, std::uint64_t index) {
    PredecessorMarker marker;
    if (DecodePredecessorMarker(record, &marker)) return Status::OK();
    WriteBatch batch;
    const Status s = WriteBatch::FromContents(record, &batch);
    if (s.ok()) return s;
    return Status::Corruption("record " + std::to_string(index) + ": " + s.message());
  });
}

// Checks every record of a manifest; for the live manifest (live_tables not
// null) also replays the edits into live_tables (table number -> size).
Status VerifyManifest(FileSystem* fs, const std::string& path,
                      std::map<std::uint64_t, std::uint64_t>* live_tables) {
  std::uint64_t records = 0;
  const Status s = ForEachLogRecord(fs, path, [&](std::string_view record, std::uint64_t index) {
    ++records;
    VersionEdit edit;
    const Status r = edit.DecodeFrom(record);
    if (!r.ok()) return Status::Corruption("record " + std::to_string(index) + ": " + r.ToString());
    if (live_tables != nullptr) {
      for (const auto& [level, number] : edit.deleted_files()) live_tables->erase(number);
      for (const auto& [level, meta] : edit.new_files()) {
        (*live_tables)[meta.number] = meta.file_size;
      }
    }
    return Status::OK();
  });
  // The live manifest (the one given live_tables) starts with a snapshot edit:
  // none means a foreign or emptied file (the log reader takes a cut-short
  // first record for a torn tail). Another manifest may be a leftover of a
  // crash before its first write, which is harmless.
  if (s.ok() && records == 0 && live_tables != nullptr) {
    return Status::Corruption("no version edits");
  }
  return s;
}

// Tallies and prints the verdict for each file.
class Verdicts {
 public:
  void Record(std::string_view name, const Status& s) {
    ++files_;
    if (s.ok()) {
      std::cout << "OK      " << name << "\n";
    } else {
      ++bad_;
      // The label already says corruption; other errors (I/O) keep their code.
      std::cout << "CORRUPT " << name << ": " << (s.IsCorruption() ? s.message() : s.ToString())
                << "\n";
    }
  }
  // label: MISSING or CORRUPT.
  void Bad(std::string_view label, std::string_view name, std::string_view why) {
    ++bad_;
    std::cout << label << " " << name << ": " << why << "\n";
  }
  int Finish() const {
    std::cout << "verified " << files_ << " files: ";
    if (bad_ == 0) {
      std::cout << "all OK\n";
      return kExitOk;
    }
    std::cout << "problems: " << bad_ << "\n";
    return kExitNotFound;
  }

 private:
  int files_ = 0;
  int bad_ = 0;
};

}  // namespace

int RunVerify(const CommandLine& line) {
  if (line.db.empty()) return ReportUsage("verify needs --db DIR");
  FileSystem* fs = FileSystem::Default();
  std::vector<std::string> names;
  Status s = fs->CheckDirectory(line.db);
  if (s.ok()) s = fs->GetChildren(line.db, &names);
  if (!s.ok()) return ReportError("cannot list " + line.db, s);
  std::sort(names.begin(), names.end());

  std::string live_manifest;
  const Status current = ReadCurrentFile(fs, line.db, &live_manifest);
  Verdicts verdicts;
  if (current.IsNotFound()) {
    bool any_db_file = false;
    for (const std::string& name : names) {
      std::uint64_t number;
      FileType type;
      any_db_file = any_db_file || ParseFileName(name, &number, &type);
    }
    if (!any_db_file) return ReportError("no DB at " + line.db, current);
    verdicts.Bad("MISSING", "CURRENT", "absent, but the directory holds DB files");
  } else if (current.ok() && !fs->FileExists(line.db + "/" + live_manifest)) {
    verdicts.Bad("MISSING", live_manifest, "named by CURRENT");
  } else {
    verdicts.Record("CURRENT", current);
  }

  std::map<std::uint64_t, std::uint64_t> live_tables;
  bool live_known = false;
  for (const std::string& name : names) {
    std::uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
    const std::string path = line.db + "/" + name;
    switch (type) {
      case FileType::kTable:
        verdicts.Record(name, VerifyTable(fs, path));
        break;
      case FileType::kLog:
        verdicts.Record(name, VerifyWal(fs, path));
        break;
      case FileType::kManifest: {
        const bool live = current.ok() && name == live_manifest;
        s = VerifyManifest(fs, path, live ? &live_tables : nullptr);
        live_known = live_known || (live && s.ok());
        verdicts.Record(name, s);
        break;
      }
      default:
        break;  // CURRENT was checked above; LOCK, temp and info logs hold no data
    }
  }

  if (live_known) {
    for (const auto& [number, size] : live_tables) {
      const std::string path = TableFileName(line.db, number);
      const std::string name = path.substr(line.db.size() + 1);
      std::uint64_t actual = 0;
      if (!fs->GetFileSize(path, &actual).ok()) {
        verdicts.Bad("MISSING", name, "listed in " + live_manifest);
      } else if (actual != size) {
        verdicts.Bad("CORRUPT", name,
                     "size " + std::to_string(actual) + ", but " + live_manifest + " says " +
                         std::to_string(size));
      }
    }
  }
  return verdicts.Finish();
}

}  // namespace arenakv::kvctl
