// SPDX-License-Identifier: Apache-2.0
// SyncPoint: named points in the engine's code where a test can make a thread
// wait for another, or run a callback, so that a race or a crash is placed
// exactly where the test says (RocksDB's SyncPoint is the model).
//
//   ARENAKV_SYNC_POINT("DBImpl::WriteImpl:WalWritten");
//   ARENAKV_SYNC_POINT_CALLBACK("DBImpl::WriteImpl:AfterInsert", &status);
//
// A test loads dependencies ({"A", "B"}: a thread reaching B waits until some
// thread has passed A) and callbacks (run, with the point's argument, by
// every thread that reaches the point), then calls EnableProcessing(). The
// names a test may use are the ARENAKV_SYNC_POINT* uses in mvcc/ (grep for
// them); each says what its argument is.
//
// Cost when no test enabled processing: one relaxed load of an inline global
// flag per point (no call), so the points stay compiled into every build and
// the tests that use them run in Release, ASan and TSan alike.
//
// Thread safety: every member may be called from any thread. Callbacks run
// with no SyncPoint lock held (they may block, and may reach other points);
// a point is marked passed after its callback returns. Tests must disable
// processing and clear everything (ClearAll) before the DB objects they
// reference die; the destructor of SyncPoint::Scope does both.
#ifndef ARENAKV_MVCC_UTIL_SYNC_POINT_H_
#define ARENAKV_MVCC_UTIL_SYNC_POINT_H_

#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "arenakv/base/mutex.h"
#include "arenakv/base/thread_annotations.h"

namespace arenakv {

namespace sync_point_internal {
// True while processing is enabled: what the macros test.
inline std::atomic<bool> enabled{false};
}  // namespace sync_point_internal

class SyncPoint {
 public:
  static SyncPoint* Get();

  // Replaces the dependencies: for each {predecessor, successor}, a thread
  // reaching `successor` waits until `predecessor` has been passed.
  void LoadDependency(const std::vector<std::pair<std::string, std::string>>& dependencies);
  // Runs `callback(arg)` in every thread that reaches `point`.
  void SetCallBack(const std::string& point, std::function<void(void*)> callback);
  // Forgets dependencies, callbacks and passed points.
  void ClearAll();
  void EnableProcessing();
  // Threads waiting at a point go on at once.
  void DisableProcessing();
  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }

  // Called by the macros: waits for the point's predecessors, runs its
  // callback, marks it passed.
  void Process(std::string_view point, void* arg);

  // Enables processing for its lifetime; disables and clears on destruction.
  class Scope {
   public:
    Scope() { Get()->EnableProcessing(); }
    ~Scope() {
      Get()->DisableProcessing();
      Get()->ClearAll();
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
  };

 private:
  std::atomic<bool> enabled_{false};
  Mutex mu_;
  CondVar cv_{&mu_};  // a point was passed, or the dependencies changed
  std::map<std::string, std::vector<std::string>, std::less<>> predecessors_
      ARENAKV_GUARDED_BY(mu_);
  std::map<std::string, std::function<void(void*)>, std::less<>> callbacks_ ARENAKV_GUARDED_BY(mu_);
  std::set<std::string, std::less<>> passed_ ARENAKV_GUARDED_BY(mu_);
};

}  // namespace arenakv

#define ARENAKV_SYNC_POINT_CALLBACK(name, arg)                                     \
  do {                                                                             \
    if (::arenakv::sync_point_internal::enabled.load(std::memory_order_relaxed)) { \
      ::arenakv::SyncPoint::Get()->Process(name, arg);                             \
    }                                                                              \
  } while (false)
#define ARENAKV_SYNC_POINT(name) ARENAKV_SYNC_POINT_CALLBACK(name, nullptr)

#endif  // ARENAKV_MVCC_UTIL_SYNC_POINT_H_
