// SPDX-License-Identifier: Apache-2.0
// The allocators arenakv is measured against, loaded at run time so that glibc
// keeps serving malloc.
//
// Debian's libmimalloc.so.2 and libjemalloc.so.2 export malloc/free: linking
// either into a binary silently replaces glibc for the whole process, and the
// "glibc" column then measures the peer. We dlopen them with RTLD_LOCAL (their
// symbols stay out of the global scope) and call only their own entry points
// (mi_heap_*, mallocx/dallocx/mallctl). MallocProvider() says who serves malloc,
// so a report can show it.
//
// jemalloc is built with initial-exec TLS (about 2.6 KiB); glibc keeps only
// 512 bytes of static TLS for libraries opened later, so its dlopen fails with
// "cannot allocate memory in static TLS block". ReexecForPeerTls() re-executes
// the binary once with GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16384,
// which makes room without changing anything else in the process. Set
// ARENAKV_PEER_TLS_REEXEC=0 to prevent it (e.g. under valgrind, which would
// lose the re-executed process); jemalloc is then reported missing.
#ifndef ARENAKV_BENCH_PEER_ALLOCATORS_H_
#define ARENAKV_BENCH_PEER_ALLOCATORS_H_

#include <dlfcn.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace arenakv::bench {

// mimalloc's heap API. A mi_heap belongs to the thread that created it: only
// that thread may allocate from it, any thread may mi_free its blocks, and
// mi_heap_destroy frees every block of it at once.
struct Mimalloc {
  void* (*heap_new)();                    // mi_heap_new
  void (*heap_destroy)(void* heap);       // mi_heap_destroy
  void* (*heap_malloc)(void*, size_t n);  // mi_heap_malloc
  void (*free)(void* p);                  // mi_free
  void (*collect)(bool force);            // mi_collect
  int version;                            // mi_version(), e.g. 209

  // nullptr if libmimalloc.so.2 or one of its symbols is missing (then *why says so).
  static const Mimalloc* Get(std::string* why = nullptr);
};

// jemalloc's non-standard API (Debian builds it without the je_ prefix).
struct Jemalloc {
  void* (*mallocx)(size_t n, int flags);
  void (*dallocx)(void* p, int flags);
  int (*mallctl)(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen);
  std::string version;

  // The MALLOCX_* flags of <jemalloc/jemalloc.h>, which we do not include: it
  // declares malloc and friends.
  static int ArenaFlag(unsigned arena) { return static_cast<int>(arena + 1) << 20; }
  static int TcacheFlag(unsigned tcache) { return static_cast<int>((tcache + 2) << 8); }

  // nullptr if libjemalloc.so.2 or one of its symbols is missing (then *why says so).
  static const Jemalloc* Get(std::string* why = nullptr);
};

// "glibc (/lib/x86_64-linux-gnu/libc.so.6)" or the peer library that serves
// malloc in this process, with a warning if a peer sits in the global scope.
std::string MallocProvider();

// If jemalloc cannot be opened for lack of static TLS and this process was not
// re-executed already, re-executes it with a larger glibc static TLS surplus.
// Returns only if no re-execution happened. Call first thing in main.
void ReexecForPeerTls(char** argv);

// ---------------------------------------------------------------------------
// Implementation (header-only: the two binaries that use it are single files).

namespace peer_internal {

template <class F>
bool Load(void* lib, const char* name, F* out, std::string* why) {
  *out = reinterpret_cast<F>(dlsym(lib, name));
  if (*out == nullptr && why != nullptr) *why = std::string("missing symbol ") + name;
  return *out != nullptr;
}

inline void* Open(const char* soname, std::string* why) {
  void* lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr && why != nullptr) *why = dlerror();
  return lib;
}

}  // namespace peer_internal

inline const Mimalloc* Mimalloc::Get(std::string* why) {
  static std::string error;
  static const Mimalloc* const instance = []() -> const Mimalloc* {
    static Mimalloc m;
    void* lib = peer_internal::Open("libmimalloc.so.2", &error);
    int (*version)() = nullptr;
    if (lib == nullptr || !peer_internal::Load(lib, "mi_heap_new", &m.heap_new, &error) ||
        !peer_internal::Load(lib, "mi_heap_destroy", &m.heap_destroy, &error) ||
        !peer_internal::Load(lib, "mi_heap_malloc", &m.heap_malloc, &error) ||
        !peer_internal::Load(lib, "mi_free", &m.free, &error) ||
        !peer_internal::Load(lib, "mi_collect", &m.collect, &error) ||
        !peer_internal::Load(lib, "mi_version", &version, &error)) {
      return nullptr;
    }
    m.version = version();
    return &m;
  }();
  if (instance == nullptr && why != nullptr) *why = "mimalloc unavailable: " + error;
  return instance;
}

inline const Jemalloc* Jemalloc::Get(std::string* why) {
  static std::string error;
  static const Jemalloc* const instance = []() -> const Jemalloc* {
    static Jemalloc j;
    void* lib = peer_internal::Open("libjemalloc.so.2", &error);
    if (lib == nullptr || !peer_internal::Load(lib, "mallocx", &j.mallocx, &error) ||
        !peer_internal::Load(lib, "dallocx", &j.dallocx, &error) ||
        !peer_internal::Load(lib, "mallctl", &j.mallctl, &error)) {
      return nullptr;
    }
    const char* version = nullptr;
    size_t len = sizeof(version);
    if (j.mallctl("version", &version, &len, nullptr, 0) == 0) j.version = version;
    return &j;
  }();
  if (instance == nullptr && why != nullptr) *why = "jemalloc unavailable: " + error;
  return instance;
}

inline std::string MallocProvider() {
  std::string provider = "unknown";
  Dl_info info;
  if (dladdr(dlsym(RTLD_DEFAULT, "malloc"), &info) != 0 && info.dli_fname != nullptr) {
    provider = info.dli_fname;
  }
  const bool mimalloc_global = dlsym(RTLD_DEFAULT, "mi_malloc") != nullptr;
  const bool jemalloc_global = dlsym(RTLD_DEFAULT, "mallocx") != nullptr;
  if (!mimalloc_global && !jemalloc_global && provider.find("libc.so") != std::string::npos) {
    return "glibc (" + provider + ")";
  }
  std::string result = provider;
  if (mimalloc_global) result += "; WARNING: mimalloc is in the global scope";
  if (jemalloc_global) result += "; WARNING: jemalloc is in the global scope";
  return result;
}

inline void ReexecForPeerTls(char** argv) {
  static const char kGuard[] = "ARENAKV_PEER_TLS_REEXEC";
  if (std::getenv(kGuard) != nullptr) return;
  void* lib = dlopen("libjemalloc.so.2", RTLD_NOW | RTLD_LOCAL);
  if (lib != nullptr) return;  // stays open; Jemalloc::Get() will find it
  const char* error = dlerror();
  if (error == nullptr || std::string(error).find("static TLS") == std::string::npos) return;
  std::string tunables = "glibc.rtld.optional_static_tls=16384";
  if (const char* old = std::getenv("GLIBC_TUNABLES")) tunables = std::string(old) + ":" + tunables;
  setenv("GLIBC_TUNABLES", tunables.c_str(), 1);
  setenv(kGuard, "1", 1);
  std::fprintf(stderr, "re-executing with GLIBC_TUNABLES=%s to load jemalloc\n", tunables.c_str());
  execv("/proc/self/exe", argv);  // returns only on failure: go on without jemalloc
}

}  // namespace arenakv::bench

#endif  // ARENAKV_BENCH_PEER_ALLOCATORS_H_
