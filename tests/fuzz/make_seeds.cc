// SPDX-License-Identifier: Apache-2.0
// fuzz_make_seeds OUT_DIR: writes the generated seeds of tests/fuzz/corpus/ to
// OUT_DIR/<target>/<name>, made by the engine's own encoders (WriteBatch,
// LogWriter, TableBuilder, VersionEdit) plus a few hand-made edge cases and
// db_ops_fuzz programs. Deterministic: the same build writes the same bytes.
// Not a fuzz target; run it by hand when a format changes (tests/fuzz/README.md).
#include <arenakv/mvcc/db.h>
#include <arenakv/mvcc/write_batch.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mvcc/log/log_writer.h"
#include "mvcc/table/table_builder.h"
#include "mvcc/table/table_format.h"
#include "mvcc/util/dbformat.h"
#include "mvcc/version/version_edit.h"
#include "tests/fuzz/fuzz_util.h"

namespace arenakv {
namespace {

std::filesystem::path out_dir;

void WriteSeed(const std::string& target, const std::string& name, std::string_view bytes) {
  const std::filesystem::path dir = out_dir / target;
  std::filesystem::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  FUZZ_CHECK(out.good(), "cannot write " + (dir / name).string());
}

void WriteBatchSeeds() {
  WriteBatch empty;
  WriteSeed("write_batch_fuzz", "empty", empty.Contents());

  WriteBatch mixed;
  mixed.SetSequence(0x0102030405060708ull);
  mixed.Put("a", "bc");
  mixed.Delete("");
  WriteSeed("write_batch_fuzz", "formats_md_example", mixed.Contents());

  WriteBatch many;
  many.SetSequence(1000);
  for (int i = 0; i < 12; ++i) {
    const std::string key = "key" + std::to_string(i);
    if (i % 3 == 2) {
      many.Delete(key);
    } else {
      many.Put(key, std::string(static_cast<std::size_t>(i * 11), static_cast<char>('a' + i)));
    }
  }
  many.Put(std::string("\0nul\xff", 5), std::string(200, '\0'));  // a 2-byte varint length
  WriteSeed("write_batch_fuzz", "many", many.Contents());

  // Malformed: a short header, an unknown kind, a count one too high.
  WriteSeed("write_batch_fuzz", "short_header", std::string_view(mixed.Contents()).substr(0, 11));
  std::string bad_kind(mixed.Contents());
  bad_kind[12] = 2;
  WriteSeed("write_batch_fuzz", "bad_kind", bad_kind);
  std::string bad_count(mixed.Contents());
  bad_count[8] = 3;
  WriteSeed("write_batch_fuzz", "bad_count", bad_count);
}

std::string Log(const std::vector<std::string>& records) {
  fuzz::StringWritableFile file;
  LogWriter writer(&file);
  for (const std::string& record : records) FUZZ_CHECK(writer.AddRecord(record).ok(), "log");
  return file.contents;
}

void LogSeeds() {
  WriteBatch batch;
  batch.SetSequence(1);
  batch.Put("apple", "red");
  batch.Delete("pear");
  const std::string batch_bytes(batch.Contents());
  WriteSeed("log_reader_fuzz", "one_batch", Log({batch_bytes}));
  WriteSeed("log_reader_fuzz", "small_records", Log({"", "a", "bc", batch_bytes, "", "xyz"}));
  // A record spanning two blocks (kFirst, kLast), then one more.
  const std::string spanning = Log({std::string(kLogBlockSize + 100, 'x'), "tail"});
  WriteSeed("log_reader_fuzz", "spanning_blocks", spanning);
  // Exactly 7 bytes left in the first block: an empty kFirst there.
  WriteSeed("log_reader_fuzz", "seven_left",
            Log({std::string(kLogBlockSize - 2 * kLogHeaderSize, 'y'), "next"}));
  // A torn tail and zero-filled space after the last record.
  const std::string two = Log({batch_bytes, "second record"});
  WriteSeed("log_reader_fuzz", "torn_tail", std::string_view(two).substr(0, two.size() - 3));
  WriteSeed("log_reader_fuzz", "zero_tail", Log({batch_bytes}) + std::string(64, '\0'));
  // A flipped payload byte in the first record: a checksum mismatch.
  std::string damaged = two;
  damaged[kLogHeaderSize + 2] ^= 0x40;
  WriteSeed("log_reader_fuzz", "bad_checksum", damaged);
}

std::string Table(const std::vector<std::pair<std::string, std::string>>& entries,
                  const TableOptions& options) {
  fuzz::StringWritableFile file;
  TableBuilder builder(options, &file);
  for (const auto& [key, value] : entries) builder.Add(key, value);
  FUZZ_CHECK(builder.Finish().ok(), "TableBuilder::Finish");
  return file.contents;
}

void TableSeeds() {
  std::vector<std::pair<std::string, std::string>> entries;
  for (int i = 0; i < 24; ++i) {
    char user_key[16];
    std::snprintf(user_key, sizeof(user_key), "key%06d", i * 2);
    // Two versions of some keys, a tombstone every fifth.
    if (i % 4 == 0) {
      entries.emplace_back(
          InternalKey(user_key, 100 + static_cast<SequenceNumber>(i), EntryKind::kPut),
          "newer" + std::to_string(i));
    }
    const EntryKind kind = i % 5 == 0 ? EntryKind::kDelete : EntryKind::kPut;
    entries.emplace_back(InternalKey(user_key, 1 + static_cast<SequenceNumber>(i), kind),
                         kind == EntryKind::kPut ? std::string(20 + i, 'a' + i % 26) : "");
  }
  TableOptions small;
  small.block_size = 256;
  small.block_restart_interval = 4;
  WriteSeed("table_fuzz", "small_blocks", Table(entries, small));

  TableOptions lz4 = small;
  lz4.compression = CompressionType::kLz4;
  WriteSeed("table_fuzz", "lz4", Table(entries, lz4));
  TableOptions zstd = small;
  zstd.compression = CompressionType::kZstd;
  WriteSeed("table_fuzz", "zstd", Table(entries, zstd));

  TableOptions no_filter;
  no_filter.bloom_bits_per_key = 0;
  no_filter.block_restart_interval = 1;
  const std::vector<std::pair<std::string, std::string>> few(entries.begin(), entries.begin() + 5);
  WriteSeed("table_fuzz", "one_block_no_filter", Table(few, no_filter));
  WriteSeed("table_fuzz", "empty_table", Table({}, TableOptions()));
}

FileMetaData File(std::uint64_t number, std::string_view smallest, std::string_view largest) {
  FileMetaData file;
  file.number = number;
  file.file_size = 4096 + number;
  file.smallest = InternalKey(smallest, 5, EntryKind::kPut);
  file.largest = InternalKey(largest, 9, EntryKind::kDelete);
  file.smallest_sequence = 5;
  file.largest_sequence = 9;
  return file;
}

void VersionEditSeeds() {
  auto encode = [](const VersionEdit& edit) {
    std::string out;
    edit.EncodeTo(&out);
    return out;
  };
  WriteSeed("version_edit_fuzz", "empty", encode(VersionEdit()));

  VersionEdit first;  // what a new DB's manifest starts with
  first.SetComparatorName(kBytewiseComparatorName);
  first.SetLogNumber(0);
  first.SetNextFileNumber(2);
  first.SetLastSequence(0);
  WriteSeed("version_edit_fuzz", "new_db", encode(first));

  VersionEdit compaction;
  compaction.SetLogNumber(12);
  compaction.SetNextFileNumber(20);
  compaction.SetLastSequence(kMaxSequenceNumber);
  compaction.DeleteFile(0, 7);
  compaction.DeleteFile(1, 8);
  compaction.AddFile(1, File(18, "apple", "mango"));
  compaction.AddFile(1, File(19, "melon", std::string("z\0\xff", 3)));
  compaction.AddFile(6, File(300, "", ""));
  WriteSeed("version_edit_fuzz", "compaction", encode(compaction));

  VersionEdit other_order;
  other_order.SetComparatorName("leveldb.BytewiseComparator");  // InvalidArgument
  WriteSeed("version_edit_fuzz", "other_comparator", encode(other_order));
  // Malformed: field count 1, unknown tag 9.
  WriteSeed("version_edit_fuzz", "unknown_tag", std::string("\x01\x09\x00", 3));
}

// A db_ops_fuzz program (the operand encoding of db_ops_fuzz.cc).
class Program {
 public:
  explicit Program(std::uint8_t shape) { bytes_.push_back(static_cast<char>(shape)); }
  // NextKey's encoding: length in bits 0-1, then 2 bits per character of "abc".
  static std::uint8_t Key(std::string_view key) {
    std::uint8_t b = static_cast<std::uint8_t>(key.size());
    for (std::size_t i = 0; i < key.size(); ++i) {
      b = static_cast<std::uint8_t>(b | (key[i] - 'a') << (2 + 2 * i));
    }
    return b;
  }
  Program& Op(std::uint8_t op, std::initializer_list<std::uint8_t> operands) {
    bytes_.push_back(static_cast<char>(op));
    for (const std::uint8_t b : operands) bytes_.push_back(static_cast<char>(b));
    return *this;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

using enum fuzz::DbOp;  // the opcodes db_ops_fuzz reads

void DbOpsSeeds() {
  using P = Program;
  // Writes, a snapshot, overwrites, reads at both, flush, compaction, reopen.
  Program basic(0);
  basic.Op(kPut, {0, P::Key("a"), 5})
      .Op(kPut, {0, P::Key("b"), 3})
      .Op(kPut, {0, P::Key(""), 0})
      .Op(kGetSnapshot, {})
      .Op(kDelete, {0, P::Key("a")})
      .Op(kPut, {0, P::Key("b"), 9})
      .Op(kGet, {0, P::Key("a")})
      .Op(kGet, {7, P::Key("a")})
      .Op(kScanForward, {0, 0})
      .Op(kScanBackward, {0, 3, P::Key("a"), P::Key("c")})
      .Op(kFlush, {})
      .Op(kPut, {1, P::Key("ab"), 2})
      .Op(kFlush, {})
      .Op(kCompactRange, {0})
      .Op(kWalk, {0, 0, 2 | 4 << 2, P::Key("aa"), 0x55})
      .Op(kWalk, {0, 0, 3 | 7 << 2, P::Key("bc"), 0x0f})
      .Op(kReopen, {})
      .Op(kScanForward, {0, 0});
  WriteSeed("db_ops_fuzz", "basic", basic.bytes());

  // Batches (one with deletes only) and writes without the WAL, then reopen.
  Program batches(1 | 2 << 2);
  batches.Op(kBatch, {0, 3, P::Key("a"), 1, 4, P::Key("b"), 1, 0, P::Key("c"), 0, P::Key("a"), 0})
      .Op(kBatch, {2, 1, P::Key("ca"), 1, 8, P::Key("cb"), 1, 1})
      .Op(kPut, {2, P::Key("bb"), 31})
      .Op(kGetSnapshot, {})
      .Op(kBatch, {1, 0, P::Key("ca"), 0})
      .Op(kScanForward, {0, 1, P::Key("b")})
      .Op(kScanBackward, {0, 0})
      .Op(kReopen, {})
      .Op(kWalk, {0, 0, 1 | 5 << 2, 0x00});
  WriteSeed("db_ops_fuzz", "batches", batches.bytes());

  // Bulk loads: memtables rotate, background flushes and compactions run,
  // with snapshots pinning old versions.
  Program bulk(2 | 0x40);
  bulk.Op(kBulkLoad, {63, P::Key("a")})
      .Op(kGetSnapshot, {})
      .Op(kBulkLoad, {63, P::Key("ba")})
      .Op(kDelete, {0, P::Key("a")})
      .Op(kGetSnapshot, {})
      .Op(kBulkLoad, {40, P::Key("cab")})
      .Op(kCompactRange, {3, P::Key("a"), P::Key("bb")})
      .Op(kGet, {0, P::Key("a")})
      .Op(kGet, {1, P::Key("a")})
      .Op(kScanForward, {1, 0})
      .Op(kReleaseSnapshot, {0})
      .Op(kScanBackward, {0, 2, P::Key("c")});
  WriteSeed("db_ops_fuzz", "bulk", bulk.bytes());

  // A snapshot's held iterator walked across a flush, bulk loads and a
  // compaction: it refreshes onto newer files and still reads the snapshot.
  Program held(0);
  held.Op(kPut, {0, P::Key("a"), 5})
      .Op(kPut, {0, P::Key("b"), 3})
      .Op(kGetSnapshot, {})
      .Op(kPut, {0, P::Key("a"), 7})
      .Op(kDelete, {0, P::Key("b")})
      .Op(kFlush, {})
      .Op(kWalk, {0, 0, 0x80 | 0 | 3 << 2, 0xff})
      .Op(kBulkLoad, {63, P::Key("a")})
      .Op(kBulkLoad, {63, P::Key("c")})
      .Op(kCompactRange, {0})
      .Op(kWalk, {0, 0, 0x80 | 2 | 2 << 2, P::Key("b"), 0x01})
      .Op(kWalk, {0, 0, 0x80 | 3 | 1 << 2, P::Key("c"), 0x00})
      .Op(kScanForward, {0, 0});
  WriteSeed("db_ops_fuzz", "held_iterator", held.bytes());

  // A few random programs.
  std::mt19937 rng(20261207);
  for (int i = 0; i < 3; ++i) {
    std::string program(200, '\0');
    for (char& c : program) c = static_cast<char>(rng() & 0xff);
    WriteSeed("db_ops_fuzz", "random" + std::to_string(i), program);
  }
}

}  // namespace
}  // namespace arenakv

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  arenakv::out_dir = argv[1];
  arenakv::WriteBatchSeeds();
  arenakv::LogSeeds();
  arenakv::TableSeeds();
  arenakv::VersionEditSeeds();
  arenakv::DbOpsSeeds();
  return 0;
}
