// SPDX-License-Identifier: Apache-2.0
#include "mvcc/env/filename.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <utility>

namespace arenakv {
namespace {

constexpr std::string_view kManifestPrefix = "MANIFEST-";
constexpr std::string_view kCurrentName = "CURRENT";
constexpr std::string_view kLockName = "LOCK";
constexpr std::string_view kIdentityName = "IDENTITY";
constexpr std::size_t kIdentitySize = 36;  // 8-4-4-4-12 hex digits
constexpr std::string_view kInfoLogName = "LOG";
constexpr std::string_view kOldInfoLogName = "LOG.old";
constexpr std::string_view kOldInfoLogPrefix = "LOG.old.";
constexpr std::string_view kOptionsPrefix = "OPTIONS-";

// Longer than any valid CURRENT ("MANIFEST-" + 20 digits + '\n' = 30 bytes):
// reading stops there, so a huge file is refused without being read whole.
constexpr std::size_t kMaxCurrentSize = 64;

// Zero-padded to 6 digits; numbers that need more digits get them.
std::string FormatNumber(std::uint64_t number) {
  char buf[24];
  const int n = std::snprintf(buf, sizeof(buf), "%06llu", static_cast<unsigned long long>(number));
  return std::string(buf, static_cast<std::size_t>(n));
}

std::string NumberedName(const std::string& dir, std::uint64_t number, std::string_view suffix) {
  std::string path = dir + "/" + FormatNumber(number);
  path.append(suffix);
  return path;
}

// Decimal digits in exactly FormatNumber's form; false on anything else.
bool ParseNumber(std::string_view digits, std::uint64_t* number) {
  if (digits.empty()) return false;
  std::uint64_t value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return false;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return false;
    value = value * 10 + digit;
  }
  if (FormatNumber(value) != digits) return false;
  *number = value;
  return true;
}

}  // namespace

std::string LogFileName(const std::string& dir, std::uint64_t number) {
  return NumberedName(dir, number, ".log");
}

std::string TableFileName(const std::string& dir, std::uint64_t number) {
  return NumberedName(dir, number, ".sst");
}

std::string ManifestFileName(const std::string& dir, std::uint64_t number) {
  std::string path = dir + "/";
  path.append(kManifestPrefix);
  return path + FormatNumber(number);
}

std::string TempFileName(const std::string& dir, std::uint64_t number) {
  return NumberedName(dir, number, ".dbtmp");
}

std::string CurrentFileName(const std::string& dir) {
  return dir + "/" + std::string(kCurrentName);
}
std::string LockFileName(const std::string& dir) { return dir + "/" + std::string(kLockName); }
std::string IdentityFileName(const std::string& dir) {
  return dir + "/" + std::string(kIdentityName);
}
std::string InfoLogFileName(const std::string& dir) {
  return dir + "/" + std::string(kInfoLogName);
}
std::string OldInfoLogFileName(const std::string& dir, std::uint64_t micros) {
  return dir + "/" + std::string(kOldInfoLogPrefix) + FormatNumber(micros);
}
std::string OptionsFileName(const std::string& dir, std::uint64_t number) {
  return dir + "/" + std::string(kOptionsPrefix) + FormatNumber(number);
}

bool ParseFileName(std::string_view name, std::uint64_t* number, FileType* type) {
  struct Fixed {
    std::string_view name;
    FileType type;
  };
  static constexpr Fixed kFixed[] = {{kCurrentName, FileType::kCurrent},
                                     {kLockName, FileType::kLock},
                                     {kIdentityName, FileType::kIdentity},
                                     {kInfoLogName, FileType::kInfoLog},
                                     {kOldInfoLogName, FileType::kInfoLog}};
  for (const Fixed& fixed : kFixed) {
    if (name == fixed.name) {
      *number = 0;
      *type = fixed.type;
      return true;
    }
  }

  std::uint64_t value = 0;
  struct Prefix {
    std::string_view prefix;
    FileType type;
  };
  static constexpr Prefix kPrefixes[] = {{kManifestPrefix, FileType::kManifest},
                                         {kOptionsPrefix, FileType::kOptions},
                                         {kOldInfoLogPrefix, FileType::kInfoLog}};
  for (const Prefix& known : kPrefixes) {
    if (name.starts_with(known.prefix)) {
      if (!ParseNumber(name.substr(known.prefix.size()), &value)) return false;
      *number = value;
      *type = known.type;
      return true;
    }
  }

  struct Suffix {
    std::string_view suffix;
    FileType type;
  };
  static constexpr Suffix kSuffixes[] = {
      {".log", FileType::kLog}, {".sst", FileType::kTable}, {".dbtmp", FileType::kTemp}};
  const std::size_t dot = name.find('.');
  if (dot == std::string_view::npos) return false;
  const std::string_view suffix = name.substr(dot);
  for (const Suffix& known : kSuffixes) {
    if (suffix == known.suffix) {
      if (!ParseNumber(name.substr(0, dot), &value)) return false;
      *number = value;
      *type = known.type;
      return true;
    }
  }
  return false;
}

namespace {

// Reads `path`, one line of at most max_size bytes counting its newline,
// into *line without the newline. The file system's error (NotFound if it is
// missing); Corruption "<name>: too long" or "<name>: does not end in a
// newline".
Status ReadOneLineFile(FileSystem* fs, const std::string& path, std::string_view name,
                       std::size_t max_size, std::string* line) {
  std::string contents;
  Status s = ReadSmallFile(fs, path, max_size, &contents);
  if (s.IsCorruption()) return Status::Corruption(std::string(name) + ": too long");
  if (!s.ok()) return s;
  if (contents.empty() || contents.back() != '\n') {
    return Status::Corruption(std::string(name) + ": does not end in a newline");
  }
  contents.pop_back();
  *line = std::move(contents);
  return Status::OK();
}

}  // namespace

Status ReadSmallFile(FileSystem* fs, const std::string& path, std::size_t max_size,
                     std::string* contents) {
  std::unique_ptr<SequentialFile> file;
  Status s = fs->NewSequentialFile(path, &file);
  if (!s.ok()) return s;
  std::string read;
  char scratch[4096];
  while (read.size() <= max_size) {
    std::string_view chunk;
    s = file->Read(std::min(sizeof scratch, max_size + 1 - read.size()), &chunk, scratch);
    if (!s.ok()) return s;
    if (chunk.empty()) break;
    read.append(chunk);
  }
  if (read.size() > max_size) return Status::Corruption(path + ": too long");
  *contents = std::move(read);
  return Status::OK();
}

Status WriteFileAtomically(FileSystem* fs, const std::string& dir, const std::string& temp,
                           const std::string& path, std::string_view contents) {
  std::unique_ptr<WritableFile> file;
  Status s = fs->NewWritableFile(temp, &file);
  if (s.ok()) s = file->Append(contents);
  if (s.ok()) s = file->Sync();
  if (s.ok()) s = file->Close();
  file.reset();
  if (s.ok()) s = fs->RenameFile(temp, path);
  if (!s.ok()) {
    // Best effort: the first error is the one to report. Also covers a
    // NewWritableFile that failed after creating the file.
    if (fs->FileExists(temp)) (void)fs->RemoveFile(temp);
    return s;
  }
  return fs->SyncDir(dir);
}

Status SetCurrentFile(FileSystem* fs, const std::string& dir, std::uint64_t manifest_number) {
  std::string contents(kManifestPrefix);
  contents.append(FormatNumber(manifest_number));
  contents.push_back('\n');
  return WriteFileAtomically(fs, dir, TempFileName(dir, manifest_number), CurrentFileName(dir),
                             contents);
}

Status SetIdentityFile(FileSystem* fs, const std::string& dir, std::uint64_t temp_number,
                       std::string* id) {
  // A version-4 UUID: 122 random bits.
  std::random_device random;
  std::uniform_int_distribution<int> digit(0, 15);
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string text;
  for (std::size_t i = 0; i < kIdentitySize; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      text.push_back('-');
    } else if (i == 14) {
      text.push_back('4');
    } else if (i == 19) {
      text.push_back(kHex[8 + digit(random) % 4]);
    } else {
      text.push_back(kHex[static_cast<std::size_t>(digit(random))]);
    }
  }
  Status s = WriteFileAtomically(fs, dir, TempFileName(dir, temp_number), IdentityFileName(dir),
                                 text + "\n");
  if (s.ok()) *id = std::move(text);
  return s;
}

Status ReadIdentityFile(FileSystem* fs, const std::string& dir, std::string* id) {
  std::string line;
  Status s = ReadOneLineFile(fs, IdentityFileName(dir), kIdentityName, kIdentitySize + 1, &line);
  if (!s.ok()) return s;
  if (line.size() != kIdentitySize) {
    return Status::Corruption(IdentityFileName(dir) + ": not a DB identity");
  }
  *id = std::move(line);
  return Status::OK();
}

Status ReadCurrentFile(FileSystem* fs, const std::string& dir, std::string* manifest_name) {
  std::string contents;
  Status s = ReadOneLineFile(fs, CurrentFileName(dir), kCurrentName, kMaxCurrentSize, &contents);
  if (!s.ok()) return s;
  std::uint64_t number = 0;
  FileType type = FileType::kLog;
  if (!ParseFileName(contents, &number, &type) || type != FileType::kManifest) {
    return Status::Corruption("CURRENT: does not name a manifest");
  }
  *manifest_name = std::move(contents);
  return Status::OK();
}

}  // namespace arenakv
