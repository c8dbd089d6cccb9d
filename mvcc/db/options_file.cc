// SPDX-License-Identifier: Apache-2.0
#include "mvcc/db/options_file.h"

#include <arenakv/version.h>

#include <charconv>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "mvcc/db/db_impl.h"

namespace arenakv {

namespace {

constexpr std::pair<CompressionType, std::string_view> kCompressionNames[] = {
    {CompressionType::kNone, "none"},
    {CompressionType::kLz4, "lz4"},
    {CompressionType::kZstd, "zstd"}};
constexpr WALRecoveryMode kWalModes[] = {
    WALRecoveryMode::kTolerateCorruptedTailRecords, WALRecoveryMode::kAbsoluteConsistency,
    WALRecoveryMode::kPointInTimeRecovery, WALRecoveryMode::kSkipAnyCorruptedRecords};

std::string Format(bool v) { return v ? "true" : "false"; }
std::string Format(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, end);
}
template <typename T>
requires std::is_integral_v<T> std::string Format(T v) { return std::to_string(v); }
std::string Format(CompressionType v) {
  for (const auto& [type, name] : kCompressionNames) {
    if (type == v) return std::string(name);
  }
  return "unknown";
}
std::string Format(WALRecoveryMode v) { return std::string(WalRecoveryModeName(v)); }
std::string Format(const std::vector<CompressionType>& v) {
  std::string out;
  for (CompressionType type : v) {
    if (!out.empty()) out.push_back(':');
    out += Format(type);
  }
  return out;
}

bool Parse(std::string_view text, bool* v) {
  if (text == "true" || text == "false") {
    *v = text == "true";
    return true;
  }
  return false;
}
template <typename T>
requires(std::is_integral_v<T> || std::is_floating_point_v<T>) bool Parse(std::string_view text,
                                                                          T* v) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  *v = value;
  return true;
}
bool Parse(std::string_view text, CompressionType* v) {
  for (const auto& [type, name] : kCompressionNames) {
    if (name == text) {
      *v = type;
      return true;
    }
  }
  return false;
}
bool Parse(std::string_view text, WALRecoveryMode* v) {
  for (WALRecoveryMode mode : kWalModes) {
    if (WalRecoveryModeName(mode) == text) {
      *v = mode;
      return true;
    }
  }
  return false;
}
bool Parse(std::string_view text, std::vector<CompressionType>* v) {
  std::vector<CompressionType> out;
  while (!text.empty()) {
    const std::size_t colon = text.find(':');
    CompressionType type;
    if (!Parse(text.substr(0, colon), &type)) return false;
    out.push_back(type);
    text = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  }
  *v = std::move(out);
  return true;
}

struct Field {
  std::string_view name;
  std::function<std::string(const Options&)> get;
  std::function<bool(std::string_view, Options*)> set;
};

template <typename T>
Field MakeField(std::string_view name, T Options::*member) {
  return {name, [member](const Options& o) { return Format(o.*member); },
          [member](std::string_view text, Options* o) { return Parse(text, &(o->*member)); }};
}

// Every setting of Options, in the order of its declaration.
const std::vector<Field>& Fields() {
  static const std::vector<Field> fields = {
      MakeField("create_if_missing", &Options::create_if_missing),
      MakeField("error_if_exists", &Options::error_if_exists),
      MakeField("paranoid_checks", &Options::paranoid_checks),
      MakeField("write_buffer_size", &Options::write_buffer_size),
      MakeField("max_write_buffer_number", &Options::max_write_buffer_number),
      MakeField("recycle_memtables", &Options::recycle_memtables),
      MakeField("memtable_huge_pages", &Options::memtable_huge_pages),
      MakeField("block_cache_size", &Options::block_cache_size),
      MakeField("max_open_files", &Options::max_open_files),
      MakeField("max_key_size", &Options::max_key_size),
      MakeField("max_value_size", &Options::max_value_size),
      MakeField("max_background_jobs", &Options::max_background_jobs),
      MakeField("lower_background_priority", &Options::lower_background_priority),
      MakeField("max_manifest_file_size", &Options::max_manifest_file_size),
      MakeField("level0_file_num_compaction_trigger", &Options::level0_file_num_compaction_trigger),
      MakeField("level0_slowdown_writes_trigger", &Options::level0_slowdown_writes_trigger),
      MakeField("level0_stop_writes_trigger", &Options::level0_stop_writes_trigger),
      MakeField("delayed_write_rate", &Options::delayed_write_rate),
      MakeField("target_file_size_base", &Options::target_file_size_base),
      MakeField("max_bytes_for_level_base", &Options::max_bytes_for_level_base),
      MakeField("max_bytes_for_level_multiplier", &Options::max_bytes_for_level_multiplier),
      MakeField("disable_auto_compactions", &Options::disable_auto_compactions),
      MakeField("block_size", &Options::block_size),
      MakeField("block_restart_interval", &Options::block_restart_interval),
      MakeField("bloom_bits_per_key", &Options::bloom_bits_per_key),
      MakeField("compression", &Options::compression),
      MakeField("compression_per_level", &Options::compression_per_level),
      MakeField("wal_recovery_mode", &Options::wal_recovery_mode),
      MakeField("max_bgerror_resume_count", &Options::max_bgerror_resume_count),
      MakeField("bgerror_resume_retry_interval", &Options::bgerror_resume_retry_interval),
      MakeField("max_log_file_size", &Options::max_log_file_size),
      MakeField("keep_log_file_num", &Options::keep_log_file_num),
  };
  return fields;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::string OptionsToString(const Options& options) {
  std::string out = "# arenakv options, written at Open\n[Version]\n  arenakv_version=";
  out += ARENAKV_VERSION_STRING;
  out += "\n[DBOptions]\n";
  for (const Field& field : Fields()) {
    out.append("  ").append(field.name).append("=");
    out.append(field.get(options)).append("\n");
  }
  return out;
}

Status OptionsFromString(std::string_view text, Options* options) {
  Options parsed = *options;
  std::string_view section;
  for (int line_number = 1; !text.empty(); ++line_number) {
    const std::size_t eol = text.find('\n');
    const std::string_view line = Trim(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    const std::string where = "OPTIONS line " + std::to_string(line_number) + ": ";
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '[') {
      if (line.back() != ']') return Status::InvalidArgument(where + "unterminated section");
      section = line.substr(1, line.size() - 2);
      continue;
    }
    const std::size_t equals = line.find('=');
    if (equals == std::string_view::npos) return Status::InvalidArgument(where + "no '='");
    const std::string_view name = Trim(line.substr(0, equals));
    const std::string_view value = Trim(line.substr(equals + 1));
    if (section == "Version") continue;
    if (section != "DBOptions") {
      return Status::InvalidArgument(where + "outside [DBOptions]: " + std::string(name));
    }
    bool known = false;
    for (const Field& field : Fields()) {
      if (field.name != name) continue;
      known = true;
      if (!field.set(value, &parsed)) {
        return Status::InvalidArgument(where + "bad value for " + std::string(name) + ": " +
                                       std::string(value));
      }
    }
    if (!known) return Status::InvalidArgument(where + "unknown option " + std::string(name));
  }
  *options = std::move(parsed);
  return Status::OK();
}

}  // namespace arenakv
