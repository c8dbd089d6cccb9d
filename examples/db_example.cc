// SPDX-License-Identifier: Apache-2.0
// Embedding arenakv::DB: open a database in a fresh temporary directory, write
// a few fruits, read them back, iterate forwards and backwards (also within
// bounds), read an older state through a snapshot, apply a WriteBatch
// atomically, reopen, compact, and finally destroy the database.
//
// It uses only the installed public header <arenakv/mvcc/db.h>, so it builds
// against an installed package (find_package(arenakv)): the packaging test
// install_consumer builds and runs it that way. Exits non-zero if anything
// differs from what it expects, so it doubles as a test (ctest: db_example).
#include <arenakv/mvcc/db.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

bool ok = true;

void Expect(bool condition, const std::string& what) {
  if (!condition) {
    std::fprintf(stderr, "unexpected: %s\n", what.c_str());
    ok = false;
  }
}

// Stops the example on an engine error: nothing after it would make sense.
void Check(const arenakv::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s failed: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

std::string Get(arenakv::DB& db, std::string_view key,
                const arenakv::Snapshot* snapshot = nullptr) {
  arenakv::ReadOptions options;
  options.snapshot = snapshot;
  std::string value;
  arenakv::Status s = db.Get(options, key, &value);
  if (s.IsNotFound()) return "(not found)";
  Check(s, "Get");
  return value;
}

// "key=value key=value ...", in the iterator's order.
std::string Forward(arenakv::DB& db, const arenakv::ReadOptions& options = {}) {
  std::unique_ptr<arenakv::Iterator> it = db.NewIterator(options);
  std::string out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!out.empty()) out += ' ';
    out.append(it->key()).append("=").append(it->value());
  }
  Check(it->status(), "iteration");
  return out;
}

std::string Backward(arenakv::DB& db) {
  std::unique_ptr<arenakv::Iterator> it = db.NewIterator({});
  std::string out;
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    if (!out.empty()) out += ' ';
    out.append(it->key());
  }
  Check(it->status(), "iteration");
  return out;
}

std::string MakeTempDir() {
  const std::filesystem::path base = std::filesystem::temp_directory_path();
  for (unsigned attempt = 0;; ++attempt) {
    std::filesystem::path dir = base / ("arenakv_db_example_" + std::to_string(std::rand()) + "_" +
                                        std::to_string(attempt));
    std::error_code ec;
    if (std::filesystem::create_directory(dir, ec)) return dir.string();
    if (attempt > 100) {
      std::fprintf(stderr, "cannot create a directory under %s\n", base.c_str());
      std::exit(1);
    }
  }
}

}  // namespace

int main() {
  std::srand(static_cast<unsigned>(
      std::filesystem::file_time_type::clock::now().time_since_epoch().count()));
  const std::string dir = MakeTempDir();
  const std::string path = dir + "/fruits.db";
  arenakv::Options options;  // defaults: create if missing, POSIX files
  std::unique_ptr<arenakv::DB> db;
  Check(arenakv::DB::Open(options, path, &db), "Open");
  std::printf("opened %s\n", path.c_str());

  // Writes and reads.
  arenakv::WriteOptions write;
  Check(db->Put(write, "apple", "red"), "Put");
  Check(db->Put(write, "banana", "yellow"), "Put");
  Check(db->Put(write, "cherry", "dark red"), "Put");
  Check(db->Put(write, "date", "brown"), "Put");
  std::printf("get apple  -> %s\n", Get(*db, "apple").c_str());
  Expect(Get(*db, "apple") == "red", "apple is red");
  Expect(Get(*db, "kiwi") == "(not found)", "no kiwi yet");

  // Iteration, both ways and within bounds [banana, date).
  std::printf("forward    -> %s\n", Forward(*db).c_str());
  Expect(Forward(*db) == "apple=red banana=yellow cherry=dark red date=brown", "forward scan");
  std::printf("backward   -> %s\n", Backward(*db).c_str());
  Expect(Backward(*db) == "date cherry banana apple", "backward scan");
  arenakv::ReadOptions bounded;
  bounded.lower_bound = "banana";
  bounded.upper_bound = "date";
  std::printf("[banana, date) -> %s\n", Forward(*db, bounded).c_str());
  Expect(Forward(*db, bounded) == "banana=yellow cherry=dark red", "bounded scan");
  {
    std::unique_ptr<arenakv::Iterator> it = db->NewIterator({});
    it->Seek("c");  // the first key >= "c"
    Expect(it->Valid() && it->key() == "cherry", "Seek(c) lands on cherry");
    it->SeekForPrev("c");  // the last key <= "c"
    Expect(it->Valid() && it->key() == "banana", "SeekForPrev(c) lands on banana");
  }

  // A snapshot keeps seeing the state it was taken in.
  const arenakv::Snapshot* snapshot = db->GetSnapshot();
  Check(db->Put(write, "apple", "green"), "Put");
  Check(db->Delete(write, "banana"), "Delete");
  std::printf("apple now %s, in the snapshot %s; banana now %s, in the snapshot %s\n",
              Get(*db, "apple").c_str(), Get(*db, "apple", snapshot).c_str(),
              Get(*db, "banana").c_str(), Get(*db, "banana", snapshot).c_str());
  Expect(Get(*db, "apple") == "green", "apple is green now");
  Expect(Get(*db, "apple", snapshot) == "red", "the snapshot's apple is red");
  Expect(Get(*db, "banana") == "(not found)", "banana deleted");
  Expect(Get(*db, "banana", snapshot) == "yellow", "the snapshot still has banana");
  db->ReleaseSnapshot(snapshot);

  // A WriteBatch applies all its operations or none, in order.
  arenakv::WriteBatch batch;
  batch.Delete("cherry");
  batch.Put("elderberry", "purple");
  batch.Put("fig", "violet");
  arenakv::WriteOptions durable;
  durable.sync = true;  // survives a crash once Write returns
  Check(db->Write(durable, &batch), "Write");
  std::printf("after the batch -> %s\n", Forward(*db).c_str());
  Expect(Forward(*db) == "apple=green date=brown elderberry=purple fig=violet", "after the batch");

  // Flush to an SST, close, reopen: everything is still there.
  Check(db->Flush(), "Flush");
  Check(db->Put(write, "grape", "green"), "Put");  // stays in the WAL until the next flush
  db.reset();
  options.create_if_missing = false;
  Check(arenakv::DB::Open(options, path, &db), "reopen");
  std::printf("reopened   -> %s\n", Forward(*db).c_str());
  Expect(Forward(*db) == "apple=green date=brown elderberry=purple fig=violet grape=green",
         "after reopening");
  std::string stats;
  Expect(db->GetProperty("arenakv.memtable.arena-stats", &stats), "arena-stats property");
  std::printf("memtable arenas:\n%s", stats.c_str());

  // Compact everything into one sorted level: overwritten versions and
  // deleted keys no snapshot needs are gone from the files afterwards.
  Check(db->CompactRange(std::nullopt, std::nullopt), "CompactRange");
  Expect(Forward(*db) == "apple=green date=brown elderberry=purple fig=violet grape=green",
         "after compacting");
  std::string level0, level1;
  Expect(db->GetProperty("arenakv.num-files-at-level0", &level0) &&
             db->GetProperty("arenakv.num-files-at-level1", &level1),
         "files-at-level properties");
  std::printf("after CompactRange: %s file(s) at level 0, %s at level 1\n", level0.c_str(),
              level1.c_str());
  Expect(level0 == "0" && level1 == "1", "one file at level 1 after compacting");

  db.reset();
  Check(arenakv::DestroyDB(path, options), "DestroyDB");
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (!ok) {
    std::fprintf(stderr, "db_example: FAILED\n");
    return 1;
  }
  std::printf("db_example: OK\n");
  return 0;
}
