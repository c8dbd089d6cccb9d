// SPDX-License-Identifier: Apache-2.0
// Shared helpers of the flush and compaction job tests: Row, one parsed
// table entry (user key, sequence, kind, value) that prints itself in gtest
// messages; Put and Del make them; Rows reads every entry of a table file
// (or of several, in order).
#ifndef ARENAKV_TESTS_MVCC_COMPACTION_TABLE_ROWS_H_
#define ARENAKV_TESTS_MVCC_COMPACTION_TABLE_ROWS_H_

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "mvcc/util/dbformat.h"
#include "mvcc/version/table_file.h"

namespace arenakv {

struct Row {
  std::string user_key;
  SequenceNumber sequence;
  EntryKind kind;
  std::string value;

  bool operator==(const Row&) const = default;
};

inline void PrintTo(const Row& row, std::ostream* os) {
  *os << row.user_key << "@" << row.sequence
      << (row.kind == EntryKind::kPut ? " put " + row.value : std::string(" del"));
}

inline Row Put(std::string user_key, SequenceNumber sequence, std::string value) {
  return {std::move(user_key), sequence, EntryKind::kPut, std::move(value)};
}
inline Row Del(std::string user_key, SequenceNumber sequence) {
  return {std::move(user_key), sequence, EntryKind::kDelete, ""};
}

// Every entry of `file`, in order.
inline std::vector<Row> Rows(const TableFile& file) {
  std::vector<Row> rows;
  std::unique_ptr<InternalIterator> iter = file.NewIterator(true);
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
    ParsedInternalKey key;
    EXPECT_TRUE(ParseInternalKey(iter->key(), &key));
    rows.push_back({std::string(key.user_key), key.sequence, key.kind, std::string(iter->value())});
  }
  EXPECT_TRUE(iter->status().ok());
  return rows;
}

inline std::vector<Row> Rows(const std::vector<TableFileRef>& files) {
  std::vector<Row> rows;
  for (const TableFileRef& f : files) {
    for (Row& row : Rows(*f)) rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace arenakv

#endif  // ARENAKV_TESTS_MVCC_COMPACTION_TABLE_ROWS_H_
