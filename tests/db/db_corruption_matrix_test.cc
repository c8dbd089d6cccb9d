// SPDX-License-Identifier: Apache-2.0
// The corruption matrix of docs/RELIABILITY.md, one row per kind of damage,
// one column per Options::wal_recovery_mode: what Open and reads give. A DB
// is built with two flushed tables (keys 0..799) and 200 more puts in its
// WAL (keys 800..999, ~60 KiB: two log blocks); each row damages one file
// of a copy of it, and the copy is opened in every mode. Outcomes:
//   kCorruption  Open fails with Corruption (and nothing is changed: the
//                next mode opens the same damaged files)
//   kAll         Open succeeds with every key
//   kPrefix(m)   Open succeeds with keys 0..799 and the first m WAL puts,
//                nothing after them
//   kSalvage     Open succeeds with keys 0..799 and some WAL puts; every key
//                present has its value
//   kBadReads    Open succeeds; each read is right or Corruption, never
//                wrong; VerifyChecksum names the damaged table
// In no case may a read return a wrong value, or anything crash.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "arenakv/mvcc/db.h"
#include "gtest/gtest.h"
#include "mvcc/db/wal_marker.h"
#include "mvcc/table/table_format.h"
#include "tests/support/db_files.h"
#include "tests/support/db_test_util.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

using test::Image;
using test::KeyFor;
using test::LogPlacement;

constexpr const char* kDir = "/db";
constexpr int kTableKeys = 800;
constexpr int kWalKeys = 200;

enum class Outcome { kCorruption, kAll, kPrefix, kSalvage, kBadReads };
struct Expect {
  Outcome outcome;
  int prefix = 0;  // kPrefix: WAL puts kept
};
constexpr Expect Corrupt() { return {Outcome::kCorruption}; }
constexpr Expect All() { return {Outcome::kAll}; }
constexpr Expect Prefix(int m) { return {Outcome::kPrefix, m}; }
constexpr Expect Salvage() { return {Outcome::kSalvage}; }
constexpr Expect BadReads() { return {Outcome::kBadReads}; }

std::string Value(int i) {
  return std::string(200, static_cast<char>('a' + i % 26)) + "#" + std::to_string(i);
}

// The built DB, the names of its files, and where its WAL records lie.
struct Built {
  Image image;
  std::string wal, manifest;
  std::vector<std::string> tables;  // oldest first
  std::vector<LogPlacement> placement;
};

Built Build() {
  MemFileSystem fs;
  Options options;
  options.file_system = &fs;
  std::unique_ptr<DB> db;
  EXPECT_TRUE(DB::Open(options, kDir, &db).ok());
  for (int i = 0; i < kTableKeys; ++i) {
    EXPECT_TRUE(db->Put({}, KeyFor(i), Value(i)).ok());
    if (i == kTableKeys / 2 - 1 || i == kTableKeys - 1) {
      EXPECT_TRUE(db->Flush().ok());
    }
  }
  std::vector<std::size_t> sizes;
  for (int i = kTableKeys; i < kTableKeys + kWalKeys; ++i) {
    EXPECT_TRUE(db->Put({}, KeyFor(i), Value(i)).ok());
    sizes.push_back(test::PutBatchSize(KeyFor(i).size(), Value(i).size()));
  }
  db.reset();
  Built built;
  built.image = test::Capture(&fs, kDir);
  for (const auto& [name, contents] : built.image) {
    if (name.ends_with(".sst")) built.tables.push_back(name);
    if (name.starts_with("MANIFEST-")) built.manifest = name;
  }
  built.wal = test::Largest(built.image, ".log");
  // The WAL was created by the second flush's rotation, while the log before
  // it was not yet synced: it starts with a predecessor marker
  // (mvcc/db/wal_marker.h). placement[i] is put i.
  sizes.insert(sizes.begin(), kPredecessorMarkerSize);
  built.placement = test::PlaceLogRecords(sizes);
  built.placement.erase(built.placement.begin());
  EXPECT_EQ(built.tables.size(), 2u);
  EXPECT_EQ(built.image[built.wal].size(), built.placement.back().end);
  return built;
}

// Handles of the first table's blocks.
Footer TableFooter(const std::string& table) {
  Footer footer;
  EXPECT_TRUE(
      Footer::DecodeFrom(std::string_view(table).substr(table.size() - kFooterSize), &footer).ok());
  return footer;
}

struct Row {
  const char* name;
  std::function<void(Built*)> damage;
  Expect by_mode[4];  // tolerate-tail, absolute, point-in-time, skip-any
};

void Flip(std::string* contents, std::uint64_t offset) { (*contents)[offset] ^= 0x5a; }

std::vector<Row> Rows() {
  constexpr int kBad = 100;  // the damaged WAL record
  const int last = kWalKeys - 1;
  return {
      {"wal-middle-record",
       [](Built* b) { Flip(&b->image[b->wal], b->placement[kBad].first_payload + 30); },
       {Corrupt(), Corrupt(), Prefix(kBad), Salvage()}},
      {"wal-tail-torn",
       [](Built* b) { b->image[b->wal].resize(b->placement.back().end - 10); },
       {Prefix(last), Corrupt(), Prefix(last), Prefix(last)}},
      {"wal-tail-garbage",
       [](Built* b) {
         std::string& wal = b->image[b->wal];
         for (std::uint64_t i = b->placement.back().first_payload; i < wal.size(); ++i)
           wal[i] = 'G';
       },
       {Corrupt(), Corrupt(), Prefix(last), Prefix(last)}},
      {"wal-tail-zeroed",
       [](Built* b) { b->image[b->wal].append(5000, '\0'); },
       {All(), Corrupt(), All(), All()}},
      {"sst-data-block",
       [](Built* b) { Flip(&b->image[b->tables[0]], 3); },
       {BadReads(), BadReads(), BadReads(), BadReads()}},
      {"sst-index-block",
       [](Built* b) {
         std::string& t = b->image[b->tables[0]];
         Flip(&t, TableFooter(t).index.offset + 2);
       },
       {Corrupt(), Corrupt(), Corrupt(), Corrupt()}},
      {"sst-filter-block",
       [](Built* b) {
         std::string& t = b->image[b->tables[0]];
         Flip(&t, TableFooter(t).filter.offset + 2);
       },
       {Corrupt(), Corrupt(), Corrupt(), Corrupt()}},
      {"sst-properties-block",
       [](Built* b) {
         std::string& t = b->image[b->tables[0]];
         Flip(&t, TableFooter(t).properties.offset + 1);
       },
       {Corrupt(), Corrupt(), Corrupt(), Corrupt()}},
      {"sst-footer",
       [](Built* b) { Flip(&b->image[b->tables[0]], b->image[b->tables[0]].size() - 1); },
       {Corrupt(), Corrupt(), Corrupt(), Corrupt()}},
      {"sst-missing",
       [](Built* b) { b->image.erase(b->tables[0]); },
       {Corrupt(), Corrupt(), Corrupt(), Corrupt()}},
      {"manifest-first-record",
       [](Built* b) { Flip(&b->image[b->manifest], 10); },
       {Corrupt(), Corrupt(), Corrupt(), Corrupt()}},
      {"manifest-last-record",
       [](Built* b) { Flip(&b->image[b->manifest], b->image[b->manifest].size() - 2); },
       {Corrupt(), Corrupt(), Corrupt(), Corrupt()}},
      {"current-empty",
       [](Built* b) { b->image["CURRENT"].clear(); },
       {Corrupt(), Corrupt(), Corrupt(), Corrupt()}},
      {"current-garbage",
       [](Built* b) { b->image["CURRENT"] = "\x01garbage\n"; },
       {Corrupt(), Corrupt(), Corrupt(), Corrupt()}},
      {"current-dangling",
       [](Built* b) { b->image["CURRENT"] = "MANIFEST-999999\n"; },
       {Corrupt(), Corrupt(), Corrupt(), Corrupt()}},
  };
}

constexpr WALRecoveryMode kModes[] = {
    WALRecoveryMode::kTolerateCorruptedTailRecords, WALRecoveryMode::kAbsoluteConsistency,
    WALRecoveryMode::kPointInTimeRecovery, WALRecoveryMode::kSkipAnyCorruptedRecords};

TEST(DbCorruptionMatrixTest, EveryDamageInEveryModeGivesTheDocumentedOutcome) {
  const Built built = Build();
  for (const Row& row : Rows()) {
    Built damaged = built;
    row.damage(&damaged);
    for (int m = 0; m < 4; ++m) {
      SCOPED_TRACE(std::string(row.name) + ", mode " + std::to_string(m));
      MemFileSystem fs;
      test::Restore(damaged.image, &fs, kDir);
      Options options;
      options.file_system = &fs;
      options.wal_recovery_mode = kModes[m];
      std::unique_ptr<DB> db;
      Status s = DB::Open(options, kDir, &db);
      const Expect expect = row.by_mode[m];
      if (expect.outcome == Outcome::kCorruption) {
        EXPECT_TRUE(s.IsCorruption()) << s.ToString();
        continue;
      }
      ASSERT_TRUE(s.ok()) << s.ToString();
      int wal_present = 0;
      int last_present = -1;
      for (int i = 0; i < kTableKeys + kWalKeys; ++i) {
        std::string value;
        Status r = db->Get({}, KeyFor(i), &value);
        if (expect.outcome == Outcome::kBadReads) {
          EXPECT_TRUE(r.IsCorruption() || (r.ok() && value == Value(i)))
              << i << " " << r.ToString();
          continue;
        }
        if (i < kTableKeys) {
          ASSERT_TRUE(r.ok()) << i << " " << r.ToString();
        }
        if (r.ok()) {
          ASSERT_EQ(value, Value(i)) << i;
          if (i >= kTableKeys) ++wal_present;
          last_present = i;
        } else {
          ASSERT_TRUE(r.IsNotFound()) << i << " " << r.ToString();
        }
      }
      switch (expect.outcome) {
        case Outcome::kAll:
          EXPECT_EQ(wal_present, kWalKeys);
          break;
        case Outcome::kPrefix:
          EXPECT_EQ(wal_present, expect.prefix);
          EXPECT_EQ(last_present, kTableKeys + expect.prefix - 1);  // no hole
          break;
        case Outcome::kSalvage:
          EXPECT_GT(wal_present, 0);
          EXPECT_LT(wal_present, kWalKeys);
          break;
        case Outcome::kBadReads: {
          Status v = db->VerifyChecksum();
          EXPECT_TRUE(v.IsCorruption()) << v.ToString();
          EXPECT_NE(v.message().find(damaged.tables[0]), std::string::npos) << v.ToString();
          break;
        }
        case Outcome::kCorruption:
          break;
      }
    }
  }
}

}  // namespace
}  // namespace arenakv
