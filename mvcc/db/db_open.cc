// SPDX-License-Identifier: Apache-2.0
// DB::Open and DB::OpenForReadOnly: the options checked, then a DBImpl opened
// (mvcc/db/db_impl.h; its OpenImpl and Recover do the work).
#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "mvcc/db/db_impl.h"

namespace arenakv {

namespace {

Status ValidateOptions(const Options& options) {
  if (options.write_buffer_size == 0) {
    return Status::InvalidArgument("write_buffer_size must be positive");
  }
  if (options.write_buffer_size > DBImpl::kMaxMemTableCapacity / 4) {
    return Status::InvalidArgument("write_buffer_size must be at most 2 GiB");
  }
  if (options.max_write_buffer_number < 1) {
    return Status::InvalidArgument("max_write_buffer_number must be at least 1");
  }
  if (options.max_background_jobs < 1) {
    return Status::InvalidArgument("max_background_jobs must be at least 1");
  }
  if (options.max_open_files != -1 && options.max_open_files < DBImpl::kMinMaxOpenFiles) {
    return Status::InvalidArgument("max_open_files must be -1 (no limit) or at least " +
                                   std::to_string(DBImpl::kMinMaxOpenFiles));
  }
  if (options.max_manifest_file_size == 0) {
    return Status::InvalidArgument("max_manifest_file_size must be positive");
  }
  if (options.wal_recovery_mode != WALRecoveryMode::kTolerateCorruptedTailRecords &&
      options.wal_recovery_mode != WALRecoveryMode::kAbsoluteConsistency &&
      options.wal_recovery_mode != WALRecoveryMode::kPointInTimeRecovery &&
      options.wal_recovery_mode != WALRecoveryMode::kSkipAnyCorruptedRecords) {
    return Status::InvalidArgument("unknown WALRecoveryMode");
  }
  if (options.max_bgerror_resume_count < 0 ||
      options.bgerror_resume_retry_interval > std::uint64_t{3600} * 1000000) {
    return Status::InvalidArgument(
        "max_bgerror_resume_count must be >= 0, bgerror_resume_retry_interval at most an hour");
  }
  if (options.block_size == 0 || options.block_restart_interval < 1 ||
      options.bloom_bits_per_key < 0) {
    return Status::InvalidArgument(
        "block_size and block_restart_interval must be positive, bloom_bits_per_key >= 0");
  }
  if (options.level0_file_num_compaction_trigger < 1 ||
      options.level0_slowdown_writes_trigger < options.level0_file_num_compaction_trigger ||
      options.level0_stop_writes_trigger < options.level0_slowdown_writes_trigger) {
    return Status::InvalidArgument(
        "need 1 <= level0_file_num_compaction_trigger <= level0_slowdown_writes_trigger <= "
        "level0_stop_writes_trigger");
  }
  if (options.delayed_write_rate == 0) {
    return Status::InvalidArgument("delayed_write_rate must be > 0 bytes per second");
  }
  if (options.target_file_size_base == 0 || options.max_bytes_for_level_base == 0 ||
      !(options.max_bytes_for_level_multiplier >= 1 &&
        options.max_bytes_for_level_multiplier <= 1000)) {
    return Status::InvalidArgument(
        "target_file_size_base and max_bytes_for_level_base must be positive, "
        "max_bytes_for_level_multiplier in [1, 1000]");
  }
  auto valid_compression = [](CompressionType type) {
    return type == CompressionType::kNone || type == CompressionType::kLz4 ||
           type == CompressionType::kZstd;
  };
  if (!valid_compression(options.compression) ||
      !std::all_of(options.compression_per_level.begin(), options.compression_per_level.end(),
                   valid_compression)) {
    return Status::InvalidArgument("unknown CompressionType");
  }
  return Status::OK();
}

Status OpenDb(const Options& options, const std::string& path, bool read_only,
              std::unique_ptr<DB>* db) {
  if (db == nullptr) return Status::InvalidArgument("null db");
  db->reset();
  Status s = ValidateOptions(options);
  if (!s.ok()) return s;
  if (path.empty()) return Status::InvalidArgument("empty DB path");
  // A writer in another process may delete a log or table this read-only
  // open was about to read (its manifest went stale meanwhile): try again on
  // the newer files a few times before reporting the error. (Reading writes
  // nothing, so a retry is harmless.)
  const int attempts = read_only ? 4 : 1;
  for (int attempt = 1;; ++attempt) {
    auto impl = std::make_unique<DBImpl>(options, path, read_only);
    s = impl->OpenImpl();
    if (s.ok()) {
      *db = std::move(impl);
      return s;
    }
    if (attempt == attempts || s.IsInvalidArgument()) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(5 * attempt));
  }
}

}  // namespace

Status DB::Open(const Options& options, const std::string& path, std::unique_ptr<DB>* db) {
  return OpenDb(options, path, /*read_only=*/false, db);
}

Status DB::OpenForReadOnly(const Options& options, const std::string& path,
                           std::unique_ptr<DB>* db) {
  return OpenDb(options, path, /*read_only=*/true, db);
}

}  // namespace arenakv
