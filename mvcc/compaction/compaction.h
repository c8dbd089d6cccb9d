// SPDX-License-Identifier: Apache-2.0
// Compaction and CompactionPicker: what to compact next in a leveled LSM tree.
//
// The shape (the same as LevelDB's and RocksDB's leveled compaction):
//   - Level 0 holds flushed tables, which may overlap. When it has
//     level0_file_num_compaction_trigger files, all of them are merged with
//     the level-1 files they overlap into new level-1 files.
//   - Level n >= 1 is a sorted run with a size target:
//     max_bytes_for_level_base * multiplier^(n-1) (the base scaled down
//     under a memory budget; see the constructor). A level over its target
//     has one file merged with the files it overlaps in level n+1; the file
//     is picked round-robin by key (compact_pointer_), so every part of the
//     key space gets its turn.
//   - The level with the highest score (L0: files / trigger; n >= 1: bytes /
//     target) goes first; scores below 1 need nothing.
//   - A file that overlaps nothing in the next level (and not too much in the
//     one after) moves down by a manifest edit alone: a trivial move.
//
// Concurrency: several compactions may run at once on disjoint files. The
// picker remembers which files are being compacted and the key range each
// running compaction writes into its output level; a new compaction may use
// no busy file and write no range another one writes (at the same level), and
// only one level-0 compaction runs at a time (automatic ones take all of
// level 0; CompactRange takes the level-0 files its range overlaps, closed
// under overlap).
//
// Thread safety: a CompactionPicker is not thread-safe; the DB calls it with
// its mutex held. A Compaction is a plain value owned by the one thread that
// runs it; it holds the Version it was picked from, so its files stay alive.
#ifndef ARENAKV_MVCC_COMPACTION_COMPACTION_H_
#define ARENAKV_MVCC_COMPACTION_COMPACTION_H_

#include <arenakv/mvcc/db.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mvcc/version/version_set.h"

namespace arenakv {

struct Compaction {
  VersionRef version;  // the Version the inputs were picked from
  int level = 0;
  // level + 1, or level itself for a manual rewrite of the last level.
  int output_level = 1;
  std::vector<TableFileRef> inputs;         // at level (newest first at level 0)
  std::vector<TableFileRef> output_inputs;  // at output_level; empty if output_level == level
  // Files at output_level + 1 overlapping the range: outputs are cut so that
  // none overlaps too many of them.
  std::vector<TableFileRef> grandparents;
  std::string smallest_user_key;  // the user-key range of all inputs
  std::string largest_user_key;
  bool trivial_move = false;           // the inputs just change level
  bool manual = false;                 // CompactRange
  std::uint64_t target_file_size = 0;  // output files end past this size
  // ... or once they overlap this many bytes of grandparents.
  std::uint64_t max_grandparent_overlap = 0;
  double score = 0;  // the level's score when picked (0 for manual)

  std::uint64_t InputBytes() const;
  // True if no level below output_level may hold user_key (at `version`):
  // a tombstone there has nothing left to hide.
  bool IsBottommostForKey(std::string_view user_key) const;
};

class CompactionPicker {
 public:
  // flush_bytes: how large a memtable gets before it is flushed, when that
  // is less than options.write_buffer_size (a memory budget's share). Level
  // 1's size target then shrinks in proportion, raised to at least one
  // output file (target_file_size_base) and never above the option, and
  // every deeper level's with it (they keep the multiplier; a large DB
  // spreads over one level more). Level-0 compactions, which merge with all
  // of level 1, then cost less against what they bring in (with RocksDB's
  // defaults, level 1 holds the four write buffers the trigger collects).
  // Under a 16 MiB budget with the defaults (7 MiB flushes: 28 MiB, raised to
  // 64 MiB), a fill of 50x the budget ran 58,845 ops/s with level 1 at 256
  // MiB and 85,157 at 64 MiB (medians of 3, 2-core VM).
  explicit CompactionPicker(const Options& options, std::size_t flush_bytes = SIZE_MAX);

  // The size target of `level` (>= 1), in bytes.
  double MaxBytesForLevel(int level) const;
  // Output files are cut once they overlap this many bytes of grandparents.
  std::uint64_t MaxGrandparentOverlapBytes() const { return 10 * target_file_size_; }

  // The score of each level (the last level has none: 0), counting files not
  // being compacted.
  std::array<double, kNumLevels> Scores(const Version& version) const;

  // The most needed compaction that can start now, registered as running; or
  // nullopt if no level needs one or every candidate conflicts with a running
  // compaction.
  std::optional<Compaction> Pick(const VersionRef& version);

  // A manual compaction of the files of `level` overlapping [begin, end] into
  // output_level (level + 1, or level itself), registered as running. nullopt
  // with *busy false: no file of `level` is in the range. nullopt with *busy
  // true: a running compaction holds a file or range it needs; try again once
  // one ends.
  std::optional<Compaction> PickRange(const VersionRef& version, int level, int output_level,
                                      std::optional<std::string_view> begin,
                                      std::optional<std::string_view> end, bool* busy);

  // A compaction from Pick or PickRange has ended (installed or failed).
  void Release(const Compaction& c);

  int running() const { return static_cast<int>(running_.size()); }
  bool level0_running() const { return level0_running_; }

 private:
  struct Running {
    int output_level;
    std::string smallest, largest;
  };

  // Completes c (range, output inputs, grandparents) from c.inputs; false if
  // it conflicts with a running compaction.
  bool Expand(Compaction* c) const;
  bool IsBusy(const std::vector<TableFileRef>& files) const;
  std::optional<Compaction> PickLevel0(const VersionRef& version);
  std::optional<Compaction> PickLevel(const VersionRef& version, int level);
  void Register(const Compaction& c);

  const int level0_trigger_;
  const std::uint64_t target_file_size_;
  const double level_base_;
  const double level_multiplier_;

  // Per level, the largest user key of the last file compacted from it: the
  // next pick starts after it (round robin over the key space).
  std::array<std::string, kNumLevels> compact_pointer_;
  std::set<std::uint64_t> busy_files_;  // file numbers being compacted
  std::vector<Running> running_;
  bool level0_running_ = false;
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_COMPACTION_COMPACTION_H_
