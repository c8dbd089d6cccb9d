// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the tests/skiplist suites: the list's keys as seen by a
// forward (SeekToFirst, Next) and a backward (SeekToLast, Prev) iteration.
#ifndef ARENAKV_TESTS_SKIPLIST_SKIPLIST_TEST_UTIL_H_
#define ARENAKV_TESTS_SKIPLIST_SKIPLIST_TEST_UTIL_H_

#include <string>
#include <vector>

namespace arenakv::test {

template <class List>
std::vector<std::string> ForwardKeys(const List& list) {
  std::vector<std::string> keys;
  auto it = list.NewIterator();
  for (it.SeekToFirst(); it.Valid(); it.Next()) keys.emplace_back(it.key());
  return keys;
}

template <class List>
std::vector<std::string> BackwardKeys(const List& list) {
  std::vector<std::string> keys;
  auto it = list.NewIterator();
  for (it.SeekToLast(); it.Valid(); it.Prev()) keys.emplace_back(it.key());
  return keys;
}

}  // namespace arenakv::test

#endif  // ARENAKV_TESTS_SKIPLIST_SKIPLIST_TEST_UTIL_H_
