// SPDX-License-Identifier: Apache-2.0
// The OPTIONS file text (mvcc/db/options_file.h): every setting survives a
// round trip, and bad text is InvalidArgument naming the line.
#include "mvcc/db/options_file.h"

#include <string>

#include "gtest/gtest.h"

namespace arenakv {
namespace {

TEST(OptionsFileTest, EverySettingRoundTrips) {
  Options options;
  options.create_if_missing = false;
  options.error_if_exists = true;
  options.paranoid_checks = false;
  options.write_buffer_size = 12345;
  options.max_write_buffer_number = 5;
  options.memtable_huge_pages = true;
  options.block_cache_size = 777;
  options.max_key_size = 99;
  options.max_value_size = 1 << 20;
  options.max_background_jobs = 7;
  options.max_manifest_file_size = 4096;
  options.level0_file_num_compaction_trigger = 3;
  options.level0_slowdown_writes_trigger = 11;
  options.level0_stop_writes_trigger = 13;
  options.target_file_size_base = 1 << 22;
  options.max_bytes_for_level_base = 1 << 25;
  options.max_bytes_for_level_multiplier = 7.25;
  options.disable_auto_compactions = true;
  options.block_size = 8192;
  options.block_restart_interval = 4;
  options.bloom_bits_per_key = 0;
  options.compression = CompressionType::kZstd;
  options.compression_per_level = {CompressionType::kNone, CompressionType::kLz4,
                                   CompressionType::kZstd};
  options.wal_recovery_mode = WALRecoveryMode::kAbsoluteConsistency;
  options.max_bgerror_resume_count = 3;
  options.bgerror_resume_retry_interval = 5000;
  options.max_log_file_size = 1 << 10;
  options.keep_log_file_num = 2;
  const std::string text = OptionsToString(options);

  Options parsed;
  Status s = OptionsFromString(text, &parsed);
  ASSERT_TRUE(s.ok()) << s.ToString();
  // The parsed options print the same: every printed field was read back.
  EXPECT_EQ(OptionsToString(parsed), text);
  EXPECT_NE(OptionsToString(Options{}), text);
  EXPECT_NE(text.find("wal_recovery_mode=absolute-consistency\n"), std::string::npos) << text;
  EXPECT_NE(text.find("compression_per_level=none:lz4:zstd\n"), std::string::npos) << text;
  EXPECT_NE(text.find("max_bytes_for_level_multiplier=7.25\n"), std::string::npos) << text;
  EXPECT_NE(text.find("[DBOptions]\n"), std::string::npos) << text;
}

TEST(OptionsFileTest, BadTextIsInvalidArgumentNamingTheLine) {
  const std::string cases[] = {
      "[DBOptions]\n  no_such_option=1\n",
      "[DBOptions]\n  write_buffer_size=lots\n",
      "[DBOptions]\n  write_buffer_size=-1\n",
      "[DBOptions]\n  paranoid_checks=yes\n",
      "[DBOptions]\n  compression=gzip\n",
      "[DBOptions]\n  wal_recovery_mode=sometimes\n",
      "[DBOptions]\n  just a line\n",
      "[DBOptions\n",
      "write_buffer_size=1\n",  // outside a section
  };
  for (const std::string& text : cases) {
    Options options;
    options.write_buffer_size = 42;
    Status s = OptionsFromString(text, &options);
    EXPECT_TRUE(s.IsInvalidArgument()) << text << " -> " << s.ToString();
    EXPECT_NE(s.message().find("line"), std::string::npos) << s.ToString();
    EXPECT_EQ(options.write_buffer_size, 42u) << "a failed parse changed the options";
  }
}

}  // namespace
}  // namespace arenakv
