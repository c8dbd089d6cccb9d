// SPDX-License-Identifier: Apache-2.0
#include "mvcc/env/info_log.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <utility>
#include <vector>

#include "mvcc/env/filename.h"

namespace arenakv {

namespace {

std::uint64_t NowMicros() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace

InfoLog::InfoLog(FileSystem* fs, std::string dir, std::size_t max_file_size, std::size_t keep_old)
    : fs_(fs), dir_(std::move(dir)), max_file_size_(max_file_size), keep_old_(keep_old) {}

InfoLog::~InfoLog() {
  MutexLock lock(&mu_);
  if (file_ != nullptr) (void)file_->Close();
}

Status InfoLog::Open(FileSystem* fs, const std::string& dir, std::size_t max_file_size,
                     std::size_t keep_old, std::unique_ptr<InfoLog>* log) {
  std::unique_ptr<InfoLog> made(new InfoLog(fs, dir, max_file_size, keep_old));
  {
    MutexLock lock(&made->mu_);
    Status s = made->StartFile();
    if (!s.ok()) return s;
  }
  *log = std::move(made);
  return Status::OK();
}

Status InfoLog::StartFile() {
  if (file_ != nullptr) {
    (void)file_->Close();
    file_.reset();
  }
  const std::string current = InfoLogFileName(dir_);
  if (fs_->FileExists(current)) {
    // Named by the microsecond; two rotations within one must not collide.
    std::uint64_t stamp = NowMicros();
    while (fs_->FileExists(OldInfoLogFileName(dir_, stamp))) ++stamp;
    Status s = fs_->RenameFile(current, OldInfoLogFileName(dir_, stamp));
    if (!s.ok()) return s;
  }
  // The oldest old logs beyond keep_old_ go.
  std::vector<std::string> names;
  if (fs_->GetChildren(dir_, &names).ok()) {
    std::vector<std::uint64_t> old;
    for (const std::string& name : names) {
      std::uint64_t number;
      FileType type;
      if (ParseFileName(name, &number, &type) && type == FileType::kInfoLog && number > 0) {
        old.push_back(number);
      }
    }
    std::sort(old.begin(), old.end());
    for (std::size_t i = 0; i + keep_old_ < old.size(); ++i) {
      (void)fs_->RemoveFile(OldInfoLogFileName(dir_, old[i]));
    }
  }
  return fs_->NewWritableFile(current, &file_);
}

void InfoLog::Log(const char* format, ...) {
  char buffer[1024];
  // The prefix: local time to the microsecond and the thread id.
  const std::uint64_t now = NowMicros();
  const std::time_t seconds = static_cast<std::time_t>(now / 1000000);
  std::tm local{};
  localtime_r(&seconds, &local);
  int n = std::snprintf(buffer, sizeof(buffer), "%04d/%02d/%02d-%02d:%02d:%02d.%06u %d ",
                        local.tm_year + 1900, local.tm_mon + 1, local.tm_mday, local.tm_hour,
                        local.tm_min, local.tm_sec, static_cast<unsigned>(now % 1000000),
                        static_cast<int>(gettid()));
  std::string line(buffer, static_cast<std::size_t>(std::max(n, 0)));
  std::va_list args;
  va_start(args, format);
  std::va_list again;
  va_copy(again, args);
  n = std::vsnprintf(buffer, sizeof(buffer), format, args);
  va_end(args);
  if (n >= static_cast<int>(sizeof(buffer))) {
    std::string long_message(static_cast<std::size_t>(n) + 1, '\0');
    std::vsnprintf(long_message.data(), long_message.size(), format, again);
    long_message.pop_back();
    line += long_message;
  } else if (n > 0) {
    line.append(buffer, static_cast<std::size_t>(n));
  }
  va_end(again);
  line.push_back('\n');

  MutexLock lock(&mu_);
  if (file_ == nullptr) return;
  Status s;
  if (max_file_size_ > 0 && file_->Size() > 0 && file_->Size() + line.size() > max_file_size_) {
    s = StartFile();
  }
  if (s.ok()) s = file_->Append(line);
  if (s.ok()) s = file_->Flush();
  if (!s.ok()) {
    error_ = s;
    if (file_ != nullptr) (void)file_->Close();
    file_.reset();
  }
}

Status InfoLog::error() const {
  MutexLock lock(&mu_);
  return error_;
}

}  // namespace arenakv
