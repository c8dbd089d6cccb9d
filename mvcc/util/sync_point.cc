// SPDX-License-Identifier: Apache-2.0
#include "mvcc/util/sync_point.h"

namespace arenakv {

SyncPoint* SyncPoint::Get() {
  static SyncPoint instance;  // never destroyed before the points stop being reached
  return &instance;
}

void SyncPoint::EnableProcessing() {
  enabled_.store(true, std::memory_order_release);
  sync_point_internal::enabled.store(true, std::memory_order_release);
}

void SyncPoint::DisableProcessing() {
  enabled_.store(false, std::memory_order_release);
  sync_point_internal::enabled.store(false, std::memory_order_release);
  MutexLock lock(&mu_);
  cv_.SignalAll();
}

void SyncPoint::LoadDependency(
    const std::vector<std::pair<std::string, std::string>>& dependencies) {
  MutexLock lock(&mu_);
  predecessors_.clear();
  for (const auto& [predecessor, successor] : dependencies) {
    predecessors_[successor].push_back(predecessor);
  }
  cv_.SignalAll();
}

void SyncPoint::SetCallBack(const std::string& point, std::function<void(void*)> callback) {
  MutexLock lock(&mu_);
  callbacks_[point] = std::move(callback);
}

void SyncPoint::ClearAll() {
  MutexLock lock(&mu_);
  predecessors_.clear();
  callbacks_.clear();
  passed_.clear();
  cv_.SignalAll();
}

void SyncPoint::Process(std::string_view point, void* arg) {
  std::function<void(void*)> callback;
  {
    MutexLock lock(&mu_);
    for (;;) {
      const auto it = predecessors_.find(point);
      bool ready = true;
      if (it != predecessors_.end()) {
        for (const std::string& predecessor : it->second) {
          ready = ready && passed_.contains(predecessor);
        }
      }
      if (ready || !enabled()) break;
      cv_.Wait();
    }
    const auto it = callbacks_.find(point);
    if (it != callbacks_.end()) callback = it->second;
  }
  if (callback) callback(arg);
  MutexLock lock(&mu_);
  passed_.emplace(point);
  cv_.SignalAll();
}

}  // namespace arenakv
