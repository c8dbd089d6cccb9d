// SPDX-License-Identifier: Apache-2.0
#include "tests/support/mem_file_system.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <utility>

namespace arenakv {
namespace {

std::string Normalize(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

// "/a/b" -> "/a", "/a" -> "/", "a" -> "" (the relative root).
std::string Parent(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

class MemFileSystem::MemWritableFile final : public WritableFile {
 public:
  MemWritableFile(MemFileSystem* fs, std::string path, FileRef file, std::uint64_t epoch)
      : fs_(fs), path_(std::move(path)), file_(std::move(file)), epoch_(epoch) {}

  Status Append(std::string_view data) override {
    if (closed_) return Status::IOError(path_ + ": append after close");
    std::lock_guard<std::mutex> guard(fs_->mu_);
    std::uint64_t written = 0;
    Status s = fs_->AppendTo(epoch_, path_, file_.get(), data, &written);
    size_ += written;
    return s;
  }

  Status Flush() override {
    if (closed_) return Status::IOError(path_ + ": flush after close");
    std::lock_guard<std::mutex> guard(fs_->mu_);
    if (Status s = fs_->CheckOpen(epoch_, path_); !s.ok()) return s;
    if (fs_->write_error_) return Status::IOError(path_ + ": injected flush error");
    return fs_->InjectedFault(Op::kFlush, path_);
  }

  Status Sync() override {
    if (closed_) return Status::IOError(path_ + ": sync after close");
    std::lock_guard<std::mutex> guard(fs_->mu_);
    if (Status s = fs_->CheckOpen(epoch_, path_); !s.ok()) return s;
    if (fs_->write_error_) return Status::IOError(path_ + ": injected sync error");
    if (Status s = fs_->InjectedFault(Op::kSync, path_); !s.ok()) {
      if (!file_->doomed_from) file_->doomed_from = file_->synced;
      return s;
    }
    file_->synced = std::min(file_->data.size(), file_->doomed_from.value_or(SIZE_MAX));
    return Status::OK();
  }

  void StartWriteback() override {
    // Changes nothing here (unsynced bytes are still lost by a crash); seen
    // by fault rules, so tests can count the hints.
    std::lock_guard<std::mutex> guard(fs_->mu_);
    (void)fs_->InjectedFault(Op::kWriteback, path_);
  }

  Status Close() override {
    closed_ = true;
    return Status::OK();
  }

  std::uint64_t Size() const override { return size_; }

 private:
  MemFileSystem* const fs_;
  const std::string path_;
  const FileRef file_;  // stays valid (an orphan) if the path is removed or replaced
  const std::uint64_t epoch_;
  std::uint64_t size_ = 0;
  bool closed_ = false;
};

class MemFileSystem::MemSequentialFile final : public SequentialFile {
 public:
  MemSequentialFile(MemFileSystem* fs, std::string path, FileRef file, std::uint64_t epoch)
      : fs_(fs), path_(std::move(path)), file_(std::move(file)), epoch_(epoch) {}

  Status Read(std::size_t n, std::string_view* result, char* scratch) override {
    std::lock_guard<std::mutex> guard(fs_->mu_);
    *result = {};
    if (Status s = fs_->CheckOpen(epoch_, path_); !s.ok()) return s;
    if (Status s = fs_->InjectedFault(Op::kRead, path_); !s.ok()) return s;
    const std::string& data = file_->data;
    const std::size_t got =
        pos_ >= data.size() ? 0 : std::min<std::uint64_t>(n, data.size() - pos_);
    std::memcpy(scratch, data.data() + pos_, got);
    pos_ += got;
    *result = std::string_view(scratch, got);
    return Status::OK();
  }

  Status Skip(std::uint64_t n) override {
    std::lock_guard<std::mutex> guard(fs_->mu_);
    if (Status s = fs_->CheckOpen(epoch_, path_); !s.ok()) return s;
    pos_ += n;  // past the end is allowed, as with lseek; reads then see EOF
    return Status::OK();
  }

 private:
  MemFileSystem* const fs_;
  const std::string path_;
  const FileRef file_;
  const std::uint64_t epoch_;
  std::uint64_t pos_ = 0;
};

class MemFileSystem::MemRandomAccessFile final : public RandomAccessFile {
 public:
  MemRandomAccessFile(MemFileSystem* fs, std::string path, FileRef file, std::uint64_t epoch)
      : fs_(fs), path_(std::move(path)), file_(std::move(file)), epoch_(epoch) {}

  Status Read(std::uint64_t offset, std::size_t n, std::string_view* result,
              char* scratch) const override {
    std::lock_guard<std::mutex> guard(fs_->mu_);
    *result = {};
    if (Status s = fs_->CheckOpen(epoch_, path_); !s.ok()) return s;
    if (Status s = fs_->InjectedFault(Op::kRead, path_); !s.ok()) return s;
    const std::string& data = file_->data;
    const std::size_t got =
        offset >= data.size() ? 0 : std::min<std::uint64_t>(n, data.size() - offset);
    std::memcpy(scratch, data.data() + offset, got);
    *result = std::string_view(scratch, got);
    return Status::OK();
  }

 private:
  MemFileSystem* const fs_;
  const std::string path_;
  const FileRef file_;
  const std::uint64_t epoch_;
};

class MemFileSystem::MemFileLock final : public FileLock {
 public:
  MemFileLock(MemFileSystem* fs, std::string path, std::uint64_t epoch)
      : fs_(fs), path_(std::move(path)), epoch_(epoch) {}
  ~MemFileLock() override {
    std::lock_guard<std::mutex> guard(fs_->mu_);
    // After a crash the lock is already gone and may have been taken again.
    if (epoch_ == fs_->epoch_) fs_->locked_.erase(path_);
  }

 private:
  MemFileSystem* const fs_;
  const std::string path_;
  const std::uint64_t epoch_;
};

MemFileSystem::MemFileSystem() : dirs_{"", "/"} {}
MemFileSystem::~MemFileSystem() = default;

Status MemFileSystem::CheckOpen(std::uint64_t epoch, const std::string& path) const {
  if (epoch != epoch_) return Status::IOError(path + ": handle opened before a simulated crash");
  return Status::OK();
}

Status MemFileSystem::ExpectDir(const std::string& dir, const std::string& subject) const {
  if (dirs_.count(dir) != 0) return Status::OK();
  if (files_.count(dir) != 0) return Status::IOError(subject + ": Not a directory");
  return Status::NotFound(subject + ": No such file or directory");
}

Status MemFileSystem::CheckParent(const std::string& path) const {
  return ExpectDir(Parent(path), path);
}

Status MemFileSystem::FindFile(const std::string& path, FileRef* file) const {
  auto it = files_.find(path);
  if (it != files_.end()) {
    *file = it->second;
    return Status::OK();
  }
  if (dirs_.count(path) != 0) return Status::IOError(path + ": Is a directory");
  return Status::NotFound(path + ": No such file or directory");
}

Status MemFileSystem::AppendTo(std::uint64_t epoch, const std::string& path, FileState* file,
                               std::string_view data, std::uint64_t* written) {
  *written = 0;
  if (Status s = CheckOpen(epoch, path); !s.ok()) return s;
  if (write_error_) return Status::IOError(path + ": injected write error");
  std::size_t keep = 0;
  if (Status s = InjectedFault(Op::kAppend, path, &keep); !s.ok()) {
    if (keep > 0) {
      *written = std::min(keep, data.size());
      file->data.append(data.substr(0, *written));
      if (torn_file_.empty()) torn_file_ = BaseName(path);
    }
    return s;
  }
  if (byte_budget_.has_value() && data.size() > *byte_budget_) {
    const std::size_t kept = static_cast<std::size_t>(*byte_budget_);
    file->data.append(data.substr(0, kept));
    *written = kept;
    byte_budget_ = 0;
    if (torn_file_.empty()) torn_file_ = BaseName(path);
    return Status::IOError(path + ": injected torn write");
  }
  if (byte_budget_.has_value()) *byte_budget_ -= data.size();
  file->data.append(data);
  *written = data.size();
  return Status::OK();
}

Status MemFileSystem::NewWritableFile(const std::string& path,
                                      std::unique_ptr<WritableFile>* file) {
  const std::string p = Normalize(path);
  std::lock_guard<std::mutex> guard(mu_);
  if (dirs_.count(p) != 0) return Status::IOError(p + ": Is a directory");
  if (Status s = CheckParent(p); !s.ok()) return s;
  if (Status s = InjectedFault(Op::kCreate, p); !s.ok()) return s;
  FileRef& state = files_[p];
  if (state == nullptr) {
    state = std::make_shared<FileState>();
  } else {
    // Truncation changes the file, not the directory: durable at once.
    state->data.clear();
    state->synced = 0;
    state->doomed_from.reset();
  }
  *file = std::make_unique<MemWritableFile>(this, p, state, epoch_);
  return Status::OK();
}

template <typename Reader, typename Interface>
Status MemFileSystem::OpenForReading(const std::string& path, std::unique_ptr<Interface>* file) {
  const std::string p = Normalize(path);
  std::lock_guard<std::mutex> guard(mu_);
  FileRef state;
  if (Status s = FindFile(p, &state); !s.ok()) return s;
  *file = std::make_unique<Reader>(this, p, std::move(state), epoch_);
  return Status::OK();
}

Status MemFileSystem::NewSequentialFile(const std::string& path,
                                        std::unique_ptr<SequentialFile>* file) {
  return OpenForReading<MemSequentialFile>(path, file);
}

Status MemFileSystem::NewRandomAccessFile(const std::string& path,
                                          std::unique_ptr<RandomAccessFile>* file) {
  return OpenForReading<MemRandomAccessFile>(path, file);
}

bool MemFileSystem::FileExists(const std::string& path) {
  const std::string p = Normalize(path);
  std::lock_guard<std::mutex> guard(mu_);
  return files_.count(p) != 0 || dirs_.count(p) != 0;
}

Status MemFileSystem::CheckDirectory(const std::string& path) {
  const std::string p = Normalize(path);
  std::lock_guard<std::mutex> guard(mu_);
  if (dirs_.count(p) != 0) return Status::OK();
  if (files_.count(p) != 0) return Status::InvalidArgument(p + ": not a directory");
  return Status::NotFound(p + ": No such file or directory");
}

Status MemFileSystem::GetChildren(const std::string& dir, std::vector<std::string>* names) {
  const std::string d = Normalize(dir);
  names->clear();
  std::lock_guard<std::mutex> guard(mu_);
  if (Status s = ExpectDir(d, d); !s.ok()) return s;
  for (const auto& [path, state] : files_) {
    if (Parent(path) == d) names->push_back(BaseName(path));
  }
  for (const std::string& path : dirs_) {
    if (path != d && Parent(path) == d) names->push_back(BaseName(path));
  }
  return Status::OK();
}

Status MemFileSystem::GetFileSize(const std::string& path, std::uint64_t* size) {
  const std::string p = Normalize(path);
  std::lock_guard<std::mutex> guard(mu_);
  *size = 0;
  FileRef state;
  if (Status s = FindFile(p, &state); !s.ok()) return s;
  *size = state->data.size();
  return Status::OK();
}

Status MemFileSystem::RemoveFile(const std::string& path) {
  const std::string p = Normalize(path);
  std::lock_guard<std::mutex> guard(mu_);
  FileRef state;
  if (Status s = FindFile(p, &state); !s.ok()) return s;
  if (Status s = InjectedFault(Op::kRemove, p); !s.ok()) return s;
  files_.erase(p);  // durable_files_ keeps it until SyncDir of its directory
  return Status::OK();
}

Status MemFileSystem::CreateDirIfMissing(const std::string& dir) {
  const std::string d = Normalize(dir);
  std::lock_guard<std::mutex> guard(mu_);
  if (dirs_.count(d) != 0) return Status::OK();
  if (files_.count(d) != 0) return Status::IOError(d + ": exists and is not a directory");
  if (Status s = CheckParent(d); !s.ok()) return s;
  dirs_.insert(d);
  return Status::OK();
}

Status MemFileSystem::RemoveDir(const std::string& dir) {
  const std::string d = Normalize(dir);
  std::lock_guard<std::mutex> guard(mu_);
  if (Status s = ExpectDir(d, d); !s.ok()) return s;
  if (d == "/" || d.empty()) return Status::IOError(d + ": Device or resource busy");
  const auto in_d = [&d](const std::string& path) { return path != d && Parent(path) == d; };
  if (std::any_of(dirs_.begin(), dirs_.end(), in_d) ||
      std::any_of(files_.begin(), files_.end(), [&](const auto& e) { return in_d(e.first); })) {
    return Status::IOError(d + ": Directory not empty");
  }
  dirs_.erase(d);
  std::erase_if(durable_files_, [&](const auto& e) { return in_d(e.first); });
  return Status::OK();
}

Status MemFileSystem::RenameFile(const std::string& from, const std::string& to) {
  const std::string f = Normalize(from);
  const std::string t = Normalize(to);
  std::lock_guard<std::mutex> guard(mu_);
  if (dirs_.count(f) != 0) return Status::NotSupported(f + ": renaming a directory");
  FileRef state;
  if (Status s = FindFile(f, &state); !s.ok()) return s;
  if (dirs_.count(t) != 0) return Status::IOError(t + ": Is a directory");
  if (Status s = CheckParent(t); !s.ok()) return s;
  if (Status s = InjectedFault(Op::kRename, t); !s.ok()) return s;
  if (f == t) return Status::OK();
  files_[t] = std::move(state);
  files_.erase(f);
  return Status::OK();
}

Status MemFileSystem::SyncDir(const std::string& dir) {
  const std::string d = Normalize(dir);
  std::lock_guard<std::mutex> guard(mu_);
  if (Status s = ExpectDir(d, d); !s.ok()) return s;
  if (Status s = InjectedFault(Op::kSyncDir, d); !s.ok()) return s;
  std::erase_if(durable_files_, [&d](const auto& e) { return Parent(e.first) == d; });
  for (const auto& [path, state] : files_) {
    if (Parent(path) == d) durable_files_[path] = state;
  }
  ++sync_dir_counts_[d];
  return Status::OK();
}

int MemFileSystem::SyncDirCount(const std::string& dir) const {
  std::lock_guard<std::mutex> guard(mu_);
  auto it = sync_dir_counts_.find(Normalize(dir));
  return it == sync_dir_counts_.end() ? 0 : it->second;
}

Status MemFileSystem::LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) {
  const std::string p = Normalize(path);
  std::lock_guard<std::mutex> guard(mu_);
  if (locked_.count(p) != 0) return Status::Busy(p + ": already locked");
  if (dirs_.count(p) != 0) return Status::IOError(p + ": Is a directory");
  if (Status s = CheckParent(p); !s.ok()) return s;
  FileRef& state = files_[p];
  if (state == nullptr) state = std::make_shared<FileState>();
  locked_.insert(p);
  *lock = std::make_unique<MemFileLock>(this, p, epoch_);
  return Status::OK();
}

void MemFileSystem::SimulateCrash() { SimulateCrash(TailLoss::kDropAll, 0); }

void MemFileSystem::SimulateCrash(TailLoss loss, std::uint64_t seed,
                                  std::string_view garbage_only_in) {
  constexpr std::size_t kPage = 4096;
  std::lock_guard<std::mutex> guard(mu_);
  ++epoch_;
  locked_.clear();
  std::erase_if(durable_files_,
                [this](const auto& e) { return dirs_.count(Parent(e.first)) == 0; });
  files_ = durable_files_;
  std::mt19937_64 rng(seed);
  for (auto& [path, state] : files_) {
    std::string& data = state->data;
    const std::size_t synced = std::min(state->synced, state->doomed_from.value_or(SIZE_MAX));
    TailLoss mode = loss;
    if (mode == TailLoss::kMixed) mode = static_cast<TailLoss>(rng() % 4);
    if (mode == TailLoss::kGarbagePage && !garbage_only_in.empty() &&
        BaseName(path).find(garbage_only_in) == std::string::npos) {
      mode = TailLoss::kZeroPage;
    }
    if (mode == TailLoss::kDropAll || data.size() <= synced) {
      data.resize(synced);
    } else {
      // A page boundary in [synced, data.size()] (or synced itself): what
      // reached the disk; the page after it was allocated but not written.
      std::vector<std::size_t> cuts = {synced};
      for (std::size_t p = (synced / kPage + 1) * kPage; p <= data.size(); p += kPage) {
        cuts.push_back(p);
      }
      const std::size_t keep = cuts[rng() % cuts.size()];
      const std::size_t end = std::min(data.size(), (keep / kPage + 1) * kPage);
      for (std::size_t i = keep; i < end; ++i) {
        if (mode == TailLoss::kZeroPage) data[i] = '\0';
        if (mode == TailLoss::kGarbagePage) data[i] = static_cast<char>(rng());
      }
      data.resize(mode == TailLoss::kKeepPages ? keep : end);
    }
    state->synced = data.size();
    state->doomed_from.reset();
  }
}

void MemFileSystem::InjectWriteError(bool enabled) {
  std::lock_guard<std::mutex> guard(mu_);
  write_error_ = enabled;
}

void MemFileSystem::FailAfterBytes(std::uint64_t n) {
  std::lock_guard<std::mutex> guard(mu_);
  byte_budget_ = n;
}

void MemFileSystem::ClearFaults() {
  std::lock_guard<std::mutex> guard(mu_);
  write_error_ = false;
  byte_budget_.reset();
  faults_.clear();
}

std::string MemFileSystem::TornFile() const {
  std::lock_guard<std::mutex> guard(mu_);
  return torn_file_;
}

int MemFileSystem::AddFault(FaultRule rule) {
  std::lock_guard<std::mutex> guard(mu_);
  faults_.push_back({std::move(rule), 0, 0});
  return static_cast<int>(faults_.size()) - 1;
}

int MemFileSystem::Fired(int id) const {
  std::lock_guard<std::mutex> guard(mu_);
  if (id < 0 || static_cast<std::size_t>(id) >= faults_.size()) return 0;
  return faults_[static_cast<std::size_t>(id)].fired;
}

int MemFileSystem::Seen(int id) const {
  std::lock_guard<std::mutex> guard(mu_);
  if (id < 0 || static_cast<std::size_t>(id) >= faults_.size()) return 0;
  return faults_[static_cast<std::size_t>(id)].seen;
}

Status MemFileSystem::InjectedFault(Op op, const std::string& path, std::size_t* keep) {
  const std::string name = BaseName(Normalize(path));
  for (Fault& fault : faults_) {
    const FaultRule& rule = fault.rule;
    if (rule.op != op || name.find(rule.file) == std::string::npos) continue;
    if (fault.seen++ < rule.skip) continue;
    if (rule.times >= 0 && fault.fired >= rule.times) continue;
    ++fault.fired;
    if (keep != nullptr) *keep = rule.keep;
    return rule.error.ok() ? Status::IOError(path + ": injected fault") : rule.error;
  }
  return Status::OK();
}

Status MemFileSystem::CorruptByte(const std::string& path, std::uint64_t offset) {
  const std::string p = Normalize(path);
  std::lock_guard<std::mutex> guard(mu_);
  auto it = files_.find(p);
  if (it == files_.end()) return Status::NotFound(p + ": not a file");
  std::string& data = it->second->data;
  if (offset >= data.size()) return Status::InvalidArgument(p + ": offset past the end");
  data[offset] = static_cast<char>(~static_cast<unsigned char>(data[offset]));
  return Status::OK();
}

}  // namespace arenakv
