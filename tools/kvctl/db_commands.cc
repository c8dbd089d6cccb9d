// SPDX-License-Identifier: Apache-2.0
#include "tools/kvctl/db_commands.h"

#include <arenakv/mvcc/db.h>

#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "mvcc/env/filename.h"
#include "mvcc/version/version_edit.h"
#include "tools/kvctl/bytes_text.h"
#include "tools/kvctl/error_report.h"

namespace arenakv::kvctl {
namespace {

// A recovery that dropped damaged WAL records is said on stderr: what kvctl
// shows is then the DB as of before the damage.
void WarnAboutDroppedRecords(DB* db) {
  std::string report;
  if (!db->GetProperty("arenakv.recovery", &report)) return;
  auto field = [&report](const std::string& name) {
    const std::size_t at = report.find(name + ": ");
    if (at == std::string::npos) return std::string();
    const std::size_t start = at + name.size() + 2;
    return report.substr(start, report.find('\n', start) - start);
  };
  const std::string dropped = field("dropped_records");
  if (dropped.empty() || dropped == "0") return;
  std::cerr << "kvctl: warning: recovery dropped " << dropped << " damaged WAL record(s) ("
            << field("dropped_bytes") << " bytes); stopped at: " << field("stopped_at") << "\n";
}

enum class OpenMode {
  kReadOnly,  // get, scan, stats: DB::OpenForReadOnly, no LOCK, nothing written
  kWrite,     // compact: the DB must exist
  kCreate,    // put, delete: the DB is created if missing
};

// Opens the DB at line.db. Returns kExitOk and sets *db, or reports why not
// and returns the exit code.
int OpenDb(const CommandLine& line, OpenMode mode, std::unique_ptr<DB>* db) {
  if (line.db.empty()) return ReportUsage("--db DIR is required for this command");
  Options options;
  options.create_if_missing = mode == OpenMode::kCreate;
  options.wal_recovery_mode = line.wal_recovery_mode;
  // A kvctl process lives for one command: an automatic compaction it set
  // off would be cut short at exit, and what the next command shows would
  // depend on how far it got. `kvctl compact` compacts explicitly.
  options.disable_auto_compactions = true;
  const Status s = mode == OpenMode::kReadOnly ? DB::OpenForReadOnly(options, line.db, db)
                                               : DB::Open(options, line.db, db);
  if (s.ok()) {
    WarnAboutDroppedRecords(db->get());
    return kExitOk;
  }
  FileSystem* fs = FileSystem::Default();
  if (mode != OpenMode::kCreate && s.IsInvalidArgument() &&
      !fs->FileExists(CurrentFileName(line.db))) {
    return ReportError("no DB at " + line.db, s);
  }
  return ReportError("cannot open DB at " + line.db, s);
}

// The bytes a command-line argument stands for: itself, or its hex decoding.
bool ArgumentBytes(const std::string& arg, bool hex, std::string* out) {
  if (!hex) {
    *out = arg;
    return true;
  }
  return DecodeHex(arg, out);
}

int BadHex(std::string_view what, const std::string& arg) {
  return ReportUsage(std::string(what) + " is not valid hex: '" + EscapeBytes(arg) + "'");
}

}  // namespace

int RunGet(const CommandLine& line) {
  std::string key;
  if (!ArgumentBytes(line.key, line.hex, &key)) return BadHex("KEY", line.key);
  std::unique_ptr<DB> db;
  if (const int rc = OpenDb(line, OpenMode::kReadOnly, &db); rc != kExitOk) return rc;
  std::string value;
  const Status s = db->Get(ReadOptions(), key, &value);
  if (s.IsNotFound()) {
    std::cerr << "kvctl: key " << ShowBytes(key, line.hex, /*quoted=*/true) << " not found\n";
    return kExitNotFound;
  }
  if (!s.ok()) return ReportError("get", s);
  std::cout << ShowBytes(value, line.hex) << "\n";
  return kExitOk;
}

int RunPut(const CommandLine& line) {
  std::string key, value;
  if (!ArgumentBytes(line.key, line.hex, &key)) return BadHex("KEY", line.key);
  if (!ArgumentBytes(line.value, line.hex, &value)) return BadHex("VALUE", line.value);
  std::unique_ptr<DB> db;
  if (const int rc = OpenDb(line, OpenMode::kCreate, &db); rc != kExitOk) return rc;
  WriteOptions options;
  options.sync = true;  // the process exits right after: make the write durable
  const Status s = db->Put(options, key, value);
  if (!s.ok()) return ReportError("put", s);
  return kExitOk;
}

int RunDelete(const CommandLine& line) {
  std::string key;
  if (!ArgumentBytes(line.key, line.hex, &key)) return BadHex("KEY", line.key);
  std::unique_ptr<DB> db;
  if (const int rc = OpenDb(line, OpenMode::kCreate, &db); rc != kExitOk) return rc;
  WriteOptions options;
  options.sync = true;
  const Status s = db->Delete(options, key);
  if (!s.ok()) return ReportError("delete", s);
  return kExitOk;
}

int RunScan(const CommandLine& line) {
  ReadOptions options;
  std::string bound;
  if (line.from) {
    if (!ArgumentBytes(*line.from, line.hex, &bound)) return BadHex("--from", *line.from);
    options.lower_bound = bound;
  }
  if (line.to) {
    if (!ArgumentBytes(*line.to, line.hex, &bound)) return BadHex("--to", *line.to);
    options.upper_bound = bound;
  }
  std::unique_ptr<DB> db;
  if (const int rc = OpenDb(line, OpenMode::kReadOnly, &db); rc != kExitOk) return rc;
  std::unique_ptr<Iterator> it = db->NewIterator(options);
  std::uint64_t shown = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (line.limit && shown >= *line.limit) break;
    std::cout << ShowBytes(it->key(), line.hex) << "\t" << ShowBytes(it->value(), line.hex) << "\n";
    ++shown;
  }
  if (const Status s = it->status(); !s.ok()) return ReportError("scan", s);
  return kExitOk;
}

int RunStats(const CommandLine& line) {
  std::unique_ptr<DB> db;
  if (const int rc = OpenDb(line, OpenMode::kReadOnly, &db); rc != kExitOk) return rc;
  std::string value;
  for (const char* name : {"arenakv.stats", "arenakv.memtable.arena-stats", "arenakv.recovery"}) {
    if (db->GetProperty(name, &value)) std::cout << "[" << name << "]\n" << value;
  }
  std::cout << "[files per level]\n";
  for (int level = 0; level < kNumLevels; ++level) {
    const std::string name = "arenakv.num-files-at-level" + std::to_string(level);
    if (db->GetProperty(name, &value)) std::cout << "L" << level << ": " << value << "\n";
  }
  return kExitOk;
}

int RunOptions(const CommandLine& line) {
  if (line.db.empty()) return ReportUsage("--db DIR is required for this command");
  FileSystem* fs = FileSystem::Default();
  std::vector<std::string> names;
  Status s = fs->GetChildren(line.db, &names);
  if (!s.ok()) return ReportError("cannot list " + line.db, s);
  std::uint64_t newest = 0;
  bool found = false;
  for (const std::string& name : names) {
    std::uint64_t number;
    FileType type;
    if (ParseFileName(name, &number, &type) && type == FileType::kOptions &&
        (!found || number > newest)) {
      newest = number;
      found = true;
    }
  }
  if (!found) {
    return ReportError("no OPTIONS file in " + line.db,
                       Status::NotFound("written at every Open since arenakv 0.1"));
  }
  std::string contents;
  s = ReadSmallFile(fs, OptionsFileName(line.db, newest), 1 << 20, &contents);
  if (!s.ok()) return ReportError("cannot read the OPTIONS file", s);
  std::cout << contents;
  return kExitOk;
}

int RunCompact(const CommandLine& line) {
  std::unique_ptr<DB> db;
  if (const int rc = OpenDb(line, OpenMode::kWrite, &db); rc != kExitOk) return rc;
  const Status s = db->CompactRange(std::nullopt, std::nullopt);
  if (!s.ok()) return ReportError("compact", s);
  return kExitOk;
}

}  // namespace arenakv::kvctl
