// SPDX-License-Identifier: Apache-2.0
// A concurrent word counter on arenakv::SkipList: three threads share the words
// of a text and count them in one list, each word's node holding an atomic
// count; then the words are printed in order, and Seek, SeekForPrev and Prev
// are shown.
//
// Exits non-zero if a count or a position differs from what a std::map built
// from the same words says, so it doubles as a test (ctest: skiplist_example).
#include <arenakv/alloc/arena.h>
#include <arenakv/skiplist/skiplist.h>

#include <atomic>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

// Payload: the word's count. Any thread may increment it once Insert returns.
using WordCounts = arenakv::SkipList<std::atomic<std::uint64_t>>;

constexpr std::string_view kText =
    "How much wood would a woodchuck chuck if a woodchuck could chuck wood? "
    "He would chuck, he would, as much as he could, and chuck as much wood "
    "as a woodchuck would if a woodchuck could chuck wood.";

bool ok = true;

void Expect(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "unexpected: %s\n", what);
    ok = false;
  }
}

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

// Thread t counts words t, t + threads, t + 2 * threads, ...
void CountWords(WordCounts& counts, const std::vector<std::string>& words, int t, int threads) {
  for (std::size_t i = static_cast<std::size_t>(t); i < words.size(); i += threads) {
    // Insert returns the word's node whether this call linked it or another
    // thread did; nullptr only if the arena is full.
    WordCounts::Node* node = counts.Insert(words[i]).node;
    if (node != nullptr) node->payload().fetch_add(1, std::memory_order_relaxed);
  }
}

std::string At(const WordCounts::Iterator& it) {
  return it.Valid() ? std::string(it.key()) : std::string("(none)");
}

}  // namespace

int main() {
  const std::vector<std::string> words = Words(kText);
  std::map<std::string, std::uint64_t> expected;
  for (const std::string& w : words) ++expected[w];

  arenakv::Arena arena;  // nodes live here; the arena must outlive the list
  WordCounts counts(&arena);

  constexpr int kThreads = 3;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back(CountWords, std::ref(counts), std::cref(words), t, kThreads);
  }
  for (std::thread& t : threads) t.join();

  std::printf("%zu words, %zu distinct, counted by %d threads:\n", words.size(), expected.size(),
              kThreads);
  auto want = expected.begin();
  auto it = counts.NewIterator();
  for (it.SeekToFirst(); it.Valid(); it.Next(), ++want) {
    const std::uint64_t n = it.node()->payload().load(std::memory_order_relaxed);
    std::printf("  %-10.*s %llu\n", static_cast<int>(it.key().size()), it.key().data(),
                static_cast<unsigned long long>(n));
    Expect(want != expected.end() && it.key() == want->first && n == want->second,
           "words in order with their counts");
  }
  Expect(want == expected.end(), "every word listed");

  // Seek: the first word >= target. SeekForPrev: the last word <= target.
  std::printf("Seek and SeekForPrev:\n");
  for (const char* target : {"", "could", "i", "woo", "zebra"}) {
    it.Seek(target);
    const std::string ge = At(it);
    it.SeekForPrev(target);
    const std::string le = At(it);
    std::printf("  %-6s  Seek -> %-10s SeekForPrev -> %s\n", *target == '\0' ? "\"\"" : target,
                ge.c_str(), le.c_str());

    const auto lower = expected.lower_bound(target);
    const auto upper = expected.upper_bound(target);
    Expect(ge == (lower == expected.end() ? "(none)" : lower->first), "Seek = lower_bound");
    Expect(le == (upper == expected.begin() ? "(none)" : std::prev(upper)->first),
           "SeekForPrev = the word before upper_bound");
  }

  // Prev walks backwards (each step is a search from the top, O(log n)).
  std::printf("The last three words, backwards:");
  auto want_back = expected.rbegin();
  it.SeekToLast();
  for (int i = 0; i < 3 && it.Valid(); ++i, it.Prev(), ++want_back) {
    std::printf(" %s", At(it).c_str());
    Expect(it.key() == want_back->first, "Prev visits words in reverse order");
  }
  std::printf("\n");

  std::printf(ok ? "OK\n" : "FAILED\n");
  return ok ? 0 : 1;
}
