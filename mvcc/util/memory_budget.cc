// SPDX-License-Identifier: Apache-2.0
#include <arenakv/mvcc/memory_budget.h>

#include <vector>

#include "arenakv/base/check.h"

namespace arenakv {

namespace {

constexpr const char* kConsumerNames[MemoryBudget::kNumConsumers] = {
    "memtables",  "block-cache",  "table-readers", "iterators",
    "compaction", "transactions", "other"};

}  // namespace

MemoryBudget::MemoryBudget(std::size_t limit) : limit_(limit) {
  for (std::size_t i = 0; i < kNumConsumers; ++i) {
    accounts_[i].budget = this;
    accounts_[i].consumer = static_cast<Consumer>(i);
  }
}

bool MemoryBudget::TryCharge(Consumer consumer, std::size_t bytes) noexcept {
  std::size_t current = charged_.load(std::memory_order_relaxed);
  do {
    if (bytes > limit_ - current) {
      refusals_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
  } while (!charged_.compare_exchange_weak(current, current + bytes, std::memory_order_relaxed));
  by_consumer_[Index(consumer)].fetch_add(bytes, std::memory_order_relaxed);
  const std::size_t now = current + bytes;
  std::size_t peak = peak_.load(std::memory_order_relaxed);
  while (now > peak && !peak_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
  return true;
}

void MemoryBudget::Release(Consumer consumer, std::size_t bytes) noexcept {
  // More than was charged would wrap the total, and then TryCharge's limit
  // check would let anything through.
  [[maybe_unused]] const std::size_t before =
      by_consumer_[Index(consumer)].fetch_sub(bytes, std::memory_order_relaxed);
  ARENAKV_DCHECK(before >= bytes);
  charged_.fetch_sub(bytes, std::memory_order_relaxed);
}

MemoryBudget::~MemoryBudget() {
  // A consumer (an arena) still charging here would release into a dead
  // budget later.
  ARENAKV_DCHECK(charged() == 0);
}

void MemoryBudget::AddReliever(Reliever* reliever) {
  MutexLock lock(&relievers_mu_);
  relievers_.push_back(reliever);
}

void MemoryBudget::RemoveReliever(Reliever* reliever) {
  MutexLock lock(&relievers_mu_);
  std::erase(relievers_, reliever);
}

std::size_t MemoryBudget::RelieveOthers(std::size_t bytes, const Reliever* self) {
  MutexLock lock(&relievers_mu_);
  std::size_t freed = 0;
  const std::size_t n = relievers_.size();
  for (std::size_t asked = 0; asked < n && freed < bytes; ++asked) {
    // Round robin: no one DB's cache always goes first.
    Reliever* reliever = relievers_[next_reliever_++ % n];
    if (reliever != self) freed += reliever->Relieve(bytes - freed);
  }
  return freed;
}

std::size_t MemoryBudget::charged(Consumer consumer) const {
  return by_consumer_[Index(consumer)].load(std::memory_order_relaxed);
}

std::string MemoryBudget::ToString() const {
  std::string out;
  auto line = [&out](const char* name, std::size_t value) {
    out.append(name).append(": ").append(std::to_string(value)).append("\n");
  };
  line("limit", limit_);
  line("charged", charged());
  line("peak", peak());
  line("refusals", refusals());
  for (std::size_t i = 0; i < kNumConsumers; ++i) {
    line(kConsumerNames[i], by_consumer_[i].load(std::memory_order_relaxed));
  }
  return out;
}

std::string MemoryBudget::Describe() const {
  std::string out = std::to_string(charged()) + " of " + std::to_string(limit_) + " bytes charged";
  const char* separator = ": ";
  for (std::size_t i = 0; i < kNumConsumers; ++i) {
    const std::size_t bytes = by_consumer_[i].load(std::memory_order_relaxed);
    if (bytes == 0) continue;
    out.append(separator).append(kConsumerNames[i]).append(" ").append(std::to_string(bytes));
    separator = ", ";
  }
  return out;
}

}  // namespace arenakv
