// SPDX-License-Identifier: Apache-2.0
// Lock annotations for clang's -Wthread-safety analysis: the compiler checks
// that a field marked GUARDED_BY(mu) is touched only with mu held, and that a
// function marked REQUIRES(mu) is called only with it. Under other compilers
// the macros expand to nothing.
//
//   ARENAKV_GUARDED_BY(mu)     a field read or written only with mu held
//   ARENAKV_PT_GUARDED_BY(mu)  what a pointer field points to, likewise
//   ARENAKV_REQUIRES(mu)       the caller holds mu (exclusively)
//   ARENAKV_EXCLUDES(mu)       the caller does not hold mu (the function takes it)
//   ARENAKV_ACQUIRE(mu) / ARENAKV_RELEASE(mu)   the function takes / lets go of mu
//   ARENAKV_CAPABILITY("mutex"), ARENAKV_SCOPED_CAPABILITY   for lock types
//   ARENAKV_NO_THREAD_SAFETY_ANALYSIS   opts a function out (say why beside it)
//
// The analysis sees locks through annotated types only: arenakv uses
// arenakv::Mutex, MutexLock and CondVar (<arenakv/base/mutex.h>), thin
// wrappers over std::mutex, std::unique_lock and std::condition_variable
// that carry the annotations.
#ifndef ARENAKV_BASE_THREAD_ANNOTATIONS_H_
#define ARENAKV_BASE_THREAD_ANNOTATIONS_H_

#if defined(__clang__)
#define ARENAKV_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define ARENAKV_THREAD_ANNOTATION(x)
#endif

#define ARENAKV_CAPABILITY(x) ARENAKV_THREAD_ANNOTATION(capability(x))
#define ARENAKV_SCOPED_CAPABILITY ARENAKV_THREAD_ANNOTATION(scoped_lockable)
#define ARENAKV_GUARDED_BY(x) ARENAKV_THREAD_ANNOTATION(guarded_by(x))
#define ARENAKV_PT_GUARDED_BY(x) ARENAKV_THREAD_ANNOTATION(pt_guarded_by(x))
#define ARENAKV_ACQUIRED_AFTER(...) ARENAKV_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define ARENAKV_REQUIRES(...) ARENAKV_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define ARENAKV_EXCLUDES(...) ARENAKV_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ARENAKV_ACQUIRE(...) ARENAKV_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ARENAKV_RELEASE(...) ARENAKV_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define ARENAKV_RETURN_CAPABILITY(x) ARENAKV_THREAD_ANNOTATION(lock_returned(x))
#define ARENAKV_NO_THREAD_SAFETY_ANALYSIS ARENAKV_THREAD_ANNOTATION(no_thread_safety_analysis)

#endif  // ARENAKV_BASE_THREAD_ANNOTATIONS_H_
