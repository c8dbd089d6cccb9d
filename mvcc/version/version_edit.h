// SPDX-License-Identifier: Apache-2.0
// VersionEdit: one record of the manifest, the change that turns one version
// of the LSM tree's file set into the next (files added and removed per
// level, and the counters recovery needs). docs/FORMATS.md, "Manifest
// (version edits)", describes its encoding byte by byte.
//
// A VersionEdit is a plain value: not thread-safe, owns copies of everything
// set on it. EncodeTo appends to a caller's string; DecodeFrom copies what it
// keeps out of its input, so the input may go away afterwards.
//
// Usage
//   VersionEdit edit;
//   edit.SetLogNumber(12);
//   edit.AddFile(0, meta);
//   std::string record;
//   edit.EncodeTo(&record);         // one manifest log record
//   VersionEdit replayed;
//   Status s = replayed.DecodeFrom(record);
#ifndef ARENAKV_MVCC_VERSION_VERSION_EDIT_H_
#define ARENAKV_MVCC_VERSION_VERSION_EDIT_H_

#include <arenakv/mvcc/status.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mvcc/util/dbformat.h"

namespace arenakv {

// Levels 0 .. kNumLevels - 1; L0 files may overlap, deeper levels are sorted runs.
constexpr int kNumLevels = 7;

// The name of the only key order arenakv has (InternalKeyCompare over
// bytewise user keys). A manifest naming another order is refused on decode.
constexpr std::string_view kBytewiseComparatorName = "arenakv.bytewise";

// What the manifest records about one table file.
struct FileMetaData {
  std::uint64_t number = 0;     // the file is TableFileName(dir, number)
  std::uint64_t file_size = 0;  // bytes
  std::string smallest;         // internal keys (user key + trailer), smallest <= largest
  std::string largest;
  SequenceNumber smallest_sequence = 0;  // lowest and highest sequence of any entry
  SequenceNumber largest_sequence = 0;

  bool operator==(const FileMetaData&) const = default;
};

class VersionEdit {
 public:
  // Setters: a field set twice keeps the last value. Levels must lie in
  // [0, kNumLevels) (checked in debug builds).
  void SetComparatorName(std::string_view name);
  // WAL files with a number below this are fully flushed to tables.
  void SetLogNumber(std::uint64_t number);
  // The next number the DB may give a new file.
  void SetNextFileNumber(std::uint64_t number);
  void SetLastSequence(SequenceNumber sequence);
  // Files are kept in the order added.
  void AddFile(int level, const FileMetaData& file);
  void DeleteFile(int level, std::uint64_t number);

  // Forgets everything set or decoded.
  void Clear();

  // Appends the encoding to *dst.
  void EncodeTo(std::string* dst) const;
  // Replaces *this with the edit encoded in `src`. On failure *this is left
  // empty (as after Clear) and the status is
  //   Corruption: anything malformed: truncated or trailing bytes, an unknown
  //     tag, a field given twice, a level outside [0, kNumLevels), a
  //     sequence above kMaxSequenceNumber, a file key that is not an internal
  //     key, smallest > largest;
  //   InvalidArgument: a well-formed edit naming a comparator other than
  //     kBytewiseComparatorName (a key order this build cannot read).
  // Never reads outside `src`.
  Status DecodeFrom(std::string_view src);

  const std::optional<std::string>& comparator_name() const { return comparator_name_; }
  std::optional<std::uint64_t> log_number() const { return log_number_; }
  std::optional<std::uint64_t> next_file_number() const { return next_file_number_; }
  std::optional<SequenceNumber> last_sequence() const { return last_sequence_; }
  const std::vector<std::pair<int, FileMetaData>>& new_files() const { return new_files_; }
  const std::set<std::pair<int, std::uint64_t>>& deleted_files() const { return deleted_files_; }

  // Multi-line, human-readable (for `kvctl dump-manifest`): one line per field
  // set, keys shown as 'user key' @sequence kind with non-printable bytes
  // escaped as \xNN.
  std::string DebugString() const;

  bool operator==(const VersionEdit&) const = default;

 private:
  std::optional<std::string> comparator_name_;
  std::optional<std::uint64_t> log_number_;
  std::optional<std::uint64_t> next_file_number_;
  std::optional<SequenceNumber> last_sequence_;
  std::vector<std::pair<int, FileMetaData>> new_files_;
  std::set<std::pair<int, std::uint64_t>> deleted_files_;
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_VERSION_VERSION_EDIT_H_
