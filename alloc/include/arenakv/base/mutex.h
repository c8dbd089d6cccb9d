// SPDX-License-Identifier: Apache-2.0
// Mutex, MutexLock and CondVar: std::mutex, std::unique_lock and
// std::condition_variable with the lock annotations of
// <arenakv/base/thread_annotations.h>, so that clang's -Wthread-safety checks
// every field marked ARENAKV_GUARDED_BY(mu_). A contended Lock() spins
// briefly (try_lock with a CPU pause, as glibc's adaptive mutexes do) before
// it sleeps: the critical sections guarded here are short, and a futex sleep
// and wake-up costs more than they do.
//
//   Mutex mu_;
//   CondVar cv_{&mu_};
//   int n_ ARENAKV_GUARDED_BY(mu_);
//
//   MutexLock lock(&mu_);             // held until the end of the scope
//   lock.Unlock(); ... lock.Lock();  // let go around I/O, take it back
//   while (n_ == 0) cv_.Wait();      // mu_ held; let go while waiting
//
// A function marked ARENAKV_REQUIRES(mu_) that lets go of the mutex in
// between calls mu_.Unlock() and mu_.Lock() itself (balanced).
// A waiting predicate that reads guarded fields goes in a `while` loop
// around Wait(): the analysis does not see into a predicate called elsewhere.
#ifndef ARENAKV_BASE_MUTEX_H_
#define ARENAKV_BASE_MUTEX_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "arenakv/base/thread_annotations.h"

namespace arenakv {

// Tells the CPU that this is a spin-wait loop (x86 PAUSE, Arm YIELD): it saves
// power and lets a sibling hyperthread run.
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

class ARENAKV_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ARENAKV_ACQUIRE() {
    for (int i = 0; i < kSpins; ++i) {
      if (mu_.try_lock()) return;
      CpuRelax();
    }
    mu_.lock();
  }
  void Unlock() ARENAKV_RELEASE() { mu_.unlock(); }
  std::mutex& native() ARENAKV_RETURN_CAPABILITY(this) { return mu_; }

 private:
  static constexpr int kSpins = 100;  // glibc's default for adaptive mutexes

  std::mutex mu_;
};

class ARENAKV_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ARENAKV_ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ARENAKV_RELEASE() {
    if (held_) mu_->Unlock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void Unlock() ARENAKV_RELEASE() {
    mu_->Unlock();
    held_ = false;
  }
  void Lock() ARENAKV_ACQUIRE() {
    mu_->Lock();
    held_ = true;
  }

 private:
  Mutex* const mu_;
  bool held_ = true;
};

class CondVar {
 public:
  explicit CondVar(Mutex* mu) : mu_(mu) {}
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // The caller holds the mutex; it is let go while waiting and held again on
  // return. Wake-ups may be spurious: wait in a loop on the condition.
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_->native(), std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // still held: the caller's to let go
  }
  // As Wait(), but returns after `timeout` at the latest.
  void WaitFor(std::chrono::microseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_->native(), std::adopt_lock);
    cv_.wait_for(lock, timeout);
    lock.release();
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
  Mutex* const mu_;
};

}  // namespace arenakv

#endif  // ARENAKV_BASE_MUTEX_H_
