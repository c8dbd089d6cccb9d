// SPDX-License-Identifier: Apache-2.0
#include "mvcc/compaction/compaction.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace arenakv {

namespace {

// True if no two of `files` share a user key.
bool Disjoint(std::vector<TableFileRef> files) {
  std::sort(files.begin(), files.end(), [](const TableFileRef& a, const TableFileRef& b) {
    return SmallestUserKey(*a) < SmallestUserKey(*b);
  });
  for (std::size_t i = 1; i < files.size(); ++i) {
    if (SmallestUserKey(*files[i]) <= LargestUserKey(*files[i - 1])) return false;
  }
  return true;
}

}  // namespace

std::uint64_t Compaction::InputBytes() const {
  return TotalBytes(inputs) + TotalBytes(output_inputs);
}

bool Compaction::IsBottommostForKey(std::string_view user_key) const {
  for (int level = output_level + 1; level < kNumLevels; ++level) {
    if (version->FileForKey(level, user_key) != nullptr) return false;
  }
  return true;
}

namespace {

double LevelBase(const Options& options, std::size_t flush_bytes) {
  const double base = static_cast<double>(options.max_bytes_for_level_base);
  if (flush_bytes >= options.write_buffer_size) return base;
  const double scaled =
      base * static_cast<double>(flush_bytes) / static_cast<double>(options.write_buffer_size);
  return std::min(base, std::max(scaled, static_cast<double>(options.target_file_size_base)));
}

}  // namespace

CompactionPicker::CompactionPicker(const Options& options, std::size_t flush_bytes)
    : level0_trigger_(options.level0_file_num_compaction_trigger),
      target_file_size_(options.target_file_size_base),
      level_base_(LevelBase(options, flush_bytes)),
      level_multiplier_(options.max_bytes_for_level_multiplier) {}

double CompactionPicker::MaxBytesForLevel(int level) const {
  return level_base_ * std::pow(level_multiplier_, level - 1);
}

std::array<double, kNumLevels> CompactionPicker::Scores(const Version& version) const {
  std::array<double, kNumLevels> scores{};
  int l0_files = 0;
  for (const TableFileRef& f : version.levels[0]) {
    if (!busy_files_.contains(f->meta().number)) ++l0_files;
  }
  scores[0] = static_cast<double>(l0_files) / level0_trigger_;
  for (int level = 1; level + 1 < kNumLevels; ++level) {
    std::uint64_t bytes = 0;
    for (const TableFileRef& f : version.levels[level]) {
      if (!busy_files_.contains(f->meta().number)) bytes += f->meta().file_size;
    }
    scores[level] = static_cast<double>(bytes) / MaxBytesForLevel(level);
  }
  return scores;
}

std::optional<Compaction> CompactionPicker::Pick(const VersionRef& version) {
  const std::array<double, kNumLevels> scores = Scores(*version);
  std::array<int, kNumLevels> order{};
  for (int i = 0; i < kNumLevels; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return scores[a] > scores[b]; });
  for (int level : order) {
    if (scores[level] < 1) break;
    std::optional<Compaction> c = level == 0 ? PickLevel0(version) : PickLevel(version, level);
    if (c) {
      c->score = scores[level];
      Register(*c);
      return c;
    }
  }
  return std::nullopt;
}

std::optional<Compaction> CompactionPicker::PickLevel0(const VersionRef& version) {
  if (level0_running_ || version->levels[0].empty()) return std::nullopt;
  Compaction c;
  c.version = version;
  c.level = 0;
  c.output_level = 1;
  c.inputs = version->levels[0];  // all of them: L0 files usually span the whole key space
  if (IsBusy(c.inputs) || !Expand(&c)) return std::nullopt;
  c.trivial_move = c.output_inputs.empty() && Disjoint(c.inputs) &&
                   TotalBytes(c.grandparents) <= MaxGrandparentOverlapBytes();
  return c;
}

std::optional<Compaction> CompactionPicker::PickLevel(const VersionRef& version, int level) {
  const auto& files = version->levels[level];
  if (files.empty()) return std::nullopt;
  // Start at the first file after the compact pointer, then wrap around.
  const std::string& pointer = compact_pointer_[level];
  const std::size_t start =
      pointer.empty()
          ? 0
          : static_cast<std::size_t>(std::partition_point(files.begin(), files.end(),
                                                          [&](const TableFileRef& f) {
                                                            return SmallestUserKey(*f) <= pointer;
                                                          }) -
                                     files.begin());
  for (std::size_t i = 0; i < files.size(); ++i) {
    const TableFileRef& f = files[(start + i) % files.size()];
    Compaction c;
    c.version = version;
    c.level = level;
    c.output_level = level + 1;
    c.inputs = {f};
    if (IsBusy(c.inputs) || !Expand(&c)) continue;
    c.trivial_move =
        c.output_inputs.empty() && TotalBytes(c.grandparents) <= MaxGrandparentOverlapBytes();
    compact_pointer_[level] = std::string(LargestUserKey(*f));
    return c;
  }
  return std::nullopt;
}

std::optional<Compaction> CompactionPicker::PickRange(const VersionRef& version, int level,
                                                      int output_level,
                                                      std::optional<std::string_view> begin,
                                                      std::optional<std::string_view> end,
                                                      bool* busy) {
  *busy = false;
  Compaction c;
  c.version = version;
  c.level = level;
  c.output_level = output_level;
  c.manual = true;
  c.inputs = version->OverlappingFiles(level, begin, end);
  if (c.inputs.empty()) return std::nullopt;
  if ((level == 0 && level0_running_) || IsBusy(c.inputs) || !Expand(&c)) {
    *busy = true;
    return std::nullopt;
  }
  Register(c);
  return c;
}

bool CompactionPicker::Expand(Compaction* c) const {
  c->target_file_size = target_file_size_;
  c->max_grandparent_overlap = MaxGrandparentOverlapBytes();
  c->smallest_user_key = SmallestUserKey(*c->inputs.front());
  c->largest_user_key = LargestUserKey(*c->inputs.front());
  auto widen = [&](const std::vector<TableFileRef>& files) {
    for (const TableFileRef& f : files) {
      if (SmallestUserKey(*f) < c->smallest_user_key) c->smallest_user_key = SmallestUserKey(*f);
      if (LargestUserKey(*f) > c->largest_user_key) c->largest_user_key = LargestUserKey(*f);
    }
  };
  widen(c->inputs);
  if (c->output_level != c->level) {
    c->output_inputs =
        c->version->OverlappingFiles(c->output_level, c->smallest_user_key, c->largest_user_key);
    if (IsBusy(c->output_inputs)) return false;
    widen(c->output_inputs);
  }
  for (const Running& r : running_) {
    if (r.output_level == c->output_level && r.smallest <= c->largest_user_key &&
        c->smallest_user_key <= r.largest) {
      return false;
    }
  }
  c->grandparents.clear();
  if (c->output_level + 1 < kNumLevels) {
    c->grandparents = c->version->OverlappingFiles(c->output_level + 1, c->smallest_user_key,
                                                   c->largest_user_key);
  }
  return true;
}

bool CompactionPicker::IsBusy(const std::vector<TableFileRef>& files) const {
  return std::any_of(files.begin(), files.end(),
                     [&](const TableFileRef& f) { return busy_files_.contains(f->meta().number); });
}

void CompactionPicker::Register(const Compaction& c) {
  for (const auto* files : {&c.inputs, &c.output_inputs}) {
    for (const TableFileRef& f : *files) busy_files_.insert(f->meta().number);
  }
  running_.push_back({c.output_level, c.smallest_user_key, c.largest_user_key});
  if (c.level == 0) level0_running_ = true;
}

void CompactionPicker::Release(const Compaction& c) {
  for (const auto* files : {&c.inputs, &c.output_inputs}) {
    for (const TableFileRef& f : *files) busy_files_.erase(f->meta().number);
  }
  auto it = std::find_if(running_.begin(), running_.end(), [&](const Running& r) {
    return r.output_level == c.output_level && r.smallest == c.smallest_user_key &&
           r.largest == c.largest_user_key;
  });
  if (it != running_.end()) running_.erase(it);
  if (c.level == 0) level0_running_ = false;
}

}  // namespace arenakv
