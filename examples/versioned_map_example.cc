// SPDX-License-Identifier: Apache-2.0
// Multi-version concurrency control in miniature, on arenakv::SkipList alone
// (no engine): every write adds a version instead of overwriting, a reader
// picks a snapshot (a sequence number) and sees the newest version at or below
// it, and a deletion is a version too (a tombstone).
//
// Entries are ordered by user key ascending, then sequence number descending,
// so a key's versions sit together, newest first:
//
//   apple@5 PUT "red"   apple@2 PUT "green"   banana@4 DEL   banana@1 PUT "yellow"
//
// A read of apple at snapshot 3 seeks to (apple, 3): the first entry at or
// after it is apple@2, the newest version a reader at 3 may see.
//
// Memory story
//   - Who allocates: Write, one skiplist node per version: the internal key
//     (user key + 8-byte trailer) inline, the value in the node's tail, the
//     value's length in the payload. The skiplist allocates from the arena.
//   - Who frees: nobody; versions are never removed (old ones are what old
//     snapshots read). The skiplist has no removal by design.
//   - When the arena is released: when the map is dropped and no reader runs;
//     every version goes at once (in the engine: when a flushed memtable's last
//     reader lets go of it).
//
// Concurrency contract
//   Write and Delete may be called from any thread; a mutex serializes them,
//   so sequence numbers are published in order. Get, Scan and GetSnapshot
//   never lock and may run concurrently with writes and each other.
//
// Memory orders
//   - last_sequence_: the writer stores it with release after linking the
//     version; GetSnapshot loads it with acquire. So a reader holding
//     snapshot s sees every version numbered <= s already linked: a snapshot
//     never names a version that is still on its way in.
//   - The skiplist links a node with a release CAS and readers follow links
//     with acquire, so a reader that reaches a node sees its key, payload and
//     tail as written before publication; versions newer than the snapshot
//     may be seen or not, and are skipped either way.
//
// Exits non-zero if a check fails, so it doubles as a test (ctest).
#include <arenakv/alloc/arena.h>
#include <arenakv/skiplist/skiplist.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace {

bool ok = true;

void Expect(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "unexpected: %s\n", what);
    ok = false;
  }
}

void PrintStats(const char* when, const arenakv::Arena& arena) {
  const arenakv::ArenaStats s = arena.Stats();
  std::printf("  %-14s live=%zu requested=%zu allocated=%zu reserved=%zu\n", when, s.live_chunks,
              s.requested, s.allocated, s.reserved);
}

enum class Kind : std::uint8_t { kDelete = 0, kPut = 1 };

// Internal key: user key, then 8 bytes: (sequence << 8 | kind), little-endian.
constexpr std::size_t kTrailer = 8;

std::string InternalKey(std::string_view user_key, std::uint64_t sequence, std::uint8_t kind) {
  std::string key(user_key);
  const std::uint64_t trailer = sequence << 8 | kind;
  for (int i = 0; i < 8; ++i) key.push_back(static_cast<char>(trailer >> (8 * i)));
  return key;
}
std::uint64_t Trailer(std::string_view key) {
  std::uint64_t trailer = 0;
  for (std::size_t i = 0; i < kTrailer; ++i) {
    trailer |= std::uint64_t{static_cast<unsigned char>(key[key.size() - kTrailer + i])} << (8 * i);
  }
  return trailer;
}
std::string_view UserKey(std::string_view key) { return key.substr(0, key.size() - kTrailer); }

// User key ascending, then trailer (sequence) descending: newest first. The
// skiplist never compares its head's empty key, so every key has a trailer.
struct InternalKeyOrder {
  int operator()(std::string_view a, std::string_view b) const noexcept {
    if (int c = UserKey(a).compare(UserKey(b)); c != 0) return c;
    const std::uint64_t ta = Trailer(a), tb = Trailer(b);
    return ta > tb ? -1 : ta < tb ? 1 : 0;
  }
};

class VersionedMap {
 public:
  using Snapshot = std::uint64_t;

  explicit VersionedMap(arenakv::Arena* arena) : list_(arena) {}

  void Write(std::string_view key, std::string_view value) { Add(key, Kind::kPut, value); }
  void Delete(std::string_view key) { Add(key, Kind::kDelete, {}); }

  Snapshot GetSnapshot() const { return last_sequence_.load(std::memory_order_acquire); }

  // The newest value of `key` at or below `snapshot`; nullopt if there is
  // none or it is a deletion.
  std::optional<std::string> Get(std::string_view key, Snapshot snapshot) const {
    auto it = list_.NewIterator();
    it.Seek(InternalKey(key, snapshot, 0xff));
    if (!it.Valid() || UserKey(it.key()) != key) return std::nullopt;
    if (static_cast<Kind>(Trailer(it.key()) & 0xff) == Kind::kDelete) return std::nullopt;
    return std::string(it.node()->tail(), it.node()->payload().value_size);
  }

  // Calls visit(key, value) for each live key in [begin, end) at `snapshot`,
  // ascending: for each key the newest version <= snapshot, unless deleted.
  void Scan(std::string_view begin, std::string_view end, Snapshot snapshot,
            const std::function<void(std::string_view, std::string_view)>& visit) const {
    auto it = list_.NewIterator();
    // The user key whose visible version was handled; it may point into the
    // node, because nodes never move or go away while the map lives.
    std::optional<std::string_view> handled;
    for (it.Seek(InternalKey(begin, snapshot, 0xff)); it.Valid(); it.Next()) {
      const std::string_view user_key = UserKey(it.key());
      if (user_key >= end) break;
      const std::uint64_t trailer = Trailer(it.key());
      if ((trailer >> 8) > snapshot) continue;  // too new for this snapshot
      if (handled == user_key) continue;        // an older version
      handled = user_key;
      if (static_cast<Kind>(trailer & 0xff) == Kind::kDelete) continue;  // tombstone
      visit(user_key, {it.node()->tail(), it.node()->payload().value_size});
    }
  }

  // Every version, for display: "key@seq PUT value" / "key@seq DEL".
  void Dump() const {
    auto it = list_.NewIterator();
    for (it.SeekToFirst(); it.Valid(); it.Next()) {
      const std::string_view k = UserKey(it.key());
      const std::uint64_t trailer = Trailer(it.key());
      const bool put = (trailer & 0xff) == static_cast<std::uint8_t>(Kind::kPut);
      std::printf("    %.*s@%llu %s%.*s\n", static_cast<int>(k.size()), k.data(),
                  static_cast<unsigned long long>(trailer >> 8), put ? "PUT " : "DEL",
                  put ? static_cast<int>(it.node()->payload().value_size) : 0, it.node()->tail());
    }
  }

 private:
  struct Payload {
    std::uint32_t value_size;
  };

  void Add(std::string_view key, Kind kind, std::string_view value) {
    std::lock_guard<std::mutex> lock(write_mu_);
    const std::uint64_t sequence = last_sequence_.load(std::memory_order_relaxed) + 1;
    // The key is new (its sequence number is), so Insert links a new node;
    // init fills the payload and tail before the node becomes visible.
    const auto result = list_.Insert(InternalKey(key, sequence, static_cast<std::uint8_t>(kind)),
                                     value.size(), [value](Payload& payload, char* tail) {
                                       payload.value_size =
                                           static_cast<std::uint32_t>(value.size());
                                       if (!value.empty())
                                         std::memcpy(tail, value.data(), value.size());
                                     });
    if (result.node == nullptr) throw arenakv::ArenaExhausted("VersionedMap: arena full");
    last_sequence_.store(sequence, std::memory_order_release);  // the version is linked
  }

  arenakv::SkipList<Payload, InternalKeyOrder> list_;
  std::mutex write_mu_;                          // serializes Add
  std::atomic<std::uint64_t> last_sequence_{0};  // written under write_mu_ only
};

std::map<std::string, std::string> ScanAll(const VersionedMap& map,
                                           VersionedMap::Snapshot snapshot) {
  std::map<std::string, std::string> out;
  map.Scan("", "\xff", snapshot, [&out](std::string_view k, std::string_view v) {
    out.emplace(std::string(k), std::string(v));
  });
  return out;
}

void Print(const char* what, const std::map<std::string, std::string>& view) {
  std::printf("  %-22s", what);
  for (const auto& [k, v] : view) std::printf(" %s=%s", k.c_str(), v.c_str());
  std::printf("\n");
}

// A snapshot taken before an update keeps seeing the old value. Returns the
// number of versions written.
std::uint64_t Snapshots(arenakv::Arena* arena) {
  std::printf("Snapshots:\n");
  VersionedMap map(arena);
  map.Write("apple", "green");
  map.Write("banana", "yellow");
  map.Write("cherry", "red");
  const VersionedMap::Snapshot before = map.GetSnapshot();
  map.Write("apple", "red");
  map.Delete("banana");
  map.Write("date", "brown");
  const VersionedMap::Snapshot now = map.GetSnapshot();
  map.Dump();

  Print(("scan @" + std::to_string(before) + ":").c_str(), ScanAll(map, before));
  Print(("scan @" + std::to_string(now) + ":").c_str(), ScanAll(map, now));
  std::map<std::string, std::string> range;  // [b, d): banana and cherry, at the old snapshot
  map.Scan("b", "d", before, [&range](std::string_view k, std::string_view v) {
    range.emplace(std::string(k), std::string(v));
  });
  Print(("scan [b, d) @" + std::to_string(before) + ":").c_str(), range);
  Expect(range == std::map<std::string, std::string>{{"banana", "yellow"}, {"cherry", "red"}},
         "a range scan at the old snapshot");
  Expect(map.Get("apple", before) == "green", "the old snapshot sees the old value");
  Expect(map.Get("apple", now) == "red", "a new snapshot sees the new value");
  Expect(map.Get("banana", before) == "yellow", "the old snapshot sees the deleted key");
  Expect(!map.Get("banana", now), "a new snapshot does not see the deleted key");
  Expect(!map.Get("date", before), "the old snapshot does not see a later key");
  Expect(ScanAll(map, before) == std::map<std::string, std::string>{{"apple", "green"},
                                                                    {"banana", "yellow"},
                                                                    {"cherry", "red"}},
         "the scan at the old snapshot");
  Expect(ScanAll(map, now) == std::map<std::string, std::string>{{"apple", "red"},
                                                                 {"cherry", "red"},
                                                                 {"date", "brown"}},
         "the scan at the new snapshot");
  return now;
}

// A reader scanning at a fixed snapshot sees the same view however many
// versions a writer adds meanwhile. Returns the number of versions written.
std::uint64_t StableReader(arenakv::Arena* arena) {
  constexpr int kKeys = 100, kWrites = 5000;
  std::printf("A reader at a fixed snapshot while a writer adds %d versions:\n", kWrites);
  VersionedMap map(arena);
  std::map<std::string, std::string> model;
  auto key_of = [](int i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "key-%03d", i);
    return std::string(buf);
  };
  auto step = [&](int n) {  // write n: a put, or every 7th a delete
    const std::string key = key_of(n * 37 % kKeys);
    if (n % 7 == 6) {
      map.Delete(key);
      model.erase(key);
    } else {
      const std::string value = key + "#" + std::to_string(n);
      map.Write(key, value);
      model[key] = value;
    }
  };
  for (int n = 0; n < 300; ++n) step(n);
  const VersionedMap::Snapshot snapshot = map.GetSnapshot();
  const std::map<std::string, std::string> expected = model;

  std::atomic<bool> done{false};
  int scans = 0, unstable = 0;
  std::thread reader([&] {
    do {
      if (ScanAll(map, snapshot) != expected) ++unstable;
      ++scans;
    } while (!done.load(std::memory_order_acquire));
  });
  std::thread writer([&] {
    for (int n = 300; n < 300 + kWrites; ++n) step(n);
  });
  writer.join();
  done.store(true, std::memory_order_release);
  reader.join();

  std::printf("  %d scans at snapshot %llu, each of %zu keys; the map is now at %llu\n", scans,
              static_cast<unsigned long long>(snapshot), expected.size(),
              static_cast<unsigned long long>(map.GetSnapshot()));
  Expect(unstable == 0, "every scan at the fixed snapshot sees the same view");
  Expect(ScanAll(map, map.GetSnapshot()) == model, "the newest snapshot sees the last writes");
  Expect(map.GetSnapshot() == std::uint64_t{300 + kWrites}, "one sequence number per write");
  return map.GetSnapshot();
}

}  // namespace

int main() {
  arenakv::Arena arena;  // declared first: outlives the maps
  const std::uint64_t versions = Snapshots(&arena) + StableReader(&arena);
  // Both maps are dropped, and freed nothing: their nodes are still live chunks.
  PrintStats("arena in use:", arena);
  Expect(arena.Stats().live_chunks == versions + 2, "one chunk per version, plus two heads");
  arena.Release();  // every version of both maps at once
  PrintStats("after Release:", arena);
  Expect(arena.Stats().live_chunks == 0 && arena.Stats().reserved == 0, "nothing after Release");

  std::printf("%s\n", ok ? "versioned_map_example: OK" : "versioned_map_example: FAILED");
  return ok ? 0 : 1;
}
