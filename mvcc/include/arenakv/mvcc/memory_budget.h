// SPDX-License-Identifier: Apache-2.0
// MemoryBudget: one hard limit on the bytes the engine holds for data,
// shareable between several DBs of one process (Options::memory_budget).
//
// What is charged (docs/API.md, "Memory"): memtable arenas (their committed
// pages, plus a reservation the write leader takes before a group's WAL
// record so that no insert is ever refused), the block cache's entries, open
// table readers' index, filter and properties blocks, the table builders of
// running flushes and compactions (kCompaction; one the budget has no room
// for runs uncharged rather than fail), and the writes open transactions
// buffer.
// Charges are refused, never allowed past the limit: TryCharge adds to the
// total with a compare-and-swap that keeps it <= limit(), so the sum of
// charged bytes never exceeds the budget, whatever the threads do. Release
// gives bytes back. Consumers charge in coarse units (an arena's commit step,
// a cached block, a write group's reservation), so a charge is one CAS on a
// shared line plus a relaxed add to the consumer's own counter.
//
// Under pressure a DB writing into a full budget first evicts its block
// cache, then closes idle table readers, then flushes its memtable early,
// then waits for its flushes and for its running compactions' builders (and
// for other holders of the budget to release), and answers MemoryLimit when
// nothing it holds can be freed within a second. An iterator whose table
// reader does not fit answers MemoryLimit once no cached block or idle
// reader is left to free. When the DBs sharing a budget relieve it, each
// first frees what it holds itself, then asks the others (RelieveOthers):
// their cached blocks and idle readers make way as one shared cache's would.
//
// For an arena, Account(consumer) is a MemoryCharge (ArenaOptions::charge)
// that charges that consumer.
//
// Thread safety: every method may be called from any number of threads at
// once. The per-consumer counts and the peak are exact when no charge is in
// flight; charged() <= limit() always holds. The budget must outlive every
// DB and arena that charges it (Options::memory_budget is a shared_ptr, so a
// DB keeps its budget alive). The reliever registry has its own mutex,
// held while a reliever runs (see Reliever).
#ifndef ARENAKV_MVCC_MEMORY_BUDGET_H_
#define ARENAKV_MVCC_MEMORY_BUDGET_H_

#include <arenakv/alloc/memory_charge.h>
#include <arenakv/base/mutex.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace arenakv {

class DBImpl;
class TableCache;

class MemoryBudget {
 public:
  // kTransactions: the write sets of open transactions (their arenas'
  // pages, idle recycled arenas included) and commit records being written.
  enum class Consumer {
    kMemtables,
    kBlockCache,
    kTableReaders,
    kIterators,
    kCompaction,
    kTransactions,
    kOther
  };
  static constexpr std::size_t kNumConsumers = static_cast<std::size_t>(Consumer::kOther) + 1;

  // A budget of `limit` bytes (docs/API.md's spelling of the constructor).
  static std::shared_ptr<MemoryBudget> Create(std::size_t limit) {
    return std::make_shared<MemoryBudget>(limit);
  }
  explicit MemoryBudget(std::size_t limit);
  // Every consumer must have released everything (debug builds check).
  ~MemoryBudget();
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  // Charges `bytes` to `consumer` and returns true, or charges nothing and
  // returns false if the total would pass limit().
  bool TryCharge(Consumer consumer, std::size_t bytes) noexcept;
  // Gives back `bytes` that `consumer` charged earlier (never more: debug
  // builds check).
  void Release(Consumer consumer, std::size_t bytes) noexcept;

  std::size_t limit() const { return limit_; }
  std::size_t charged() const { return charged_.load(std::memory_order_relaxed); }
  std::size_t charged(Consumer consumer) const;
  std::size_t peak() const { return peak_.load(std::memory_order_relaxed); }
  std::size_t refusals() const { return refusals_.load(std::memory_order_relaxed); }
  // "limit: N\ncharged: N\npeak: N\nrefusals: N\n" and one "<consumer>: N"
  // line each (memtables, block-cache, table-readers, iterators, compaction,
  // transactions, other).
  std::string ToString() const;
  // One line for error messages: "N of L bytes charged: memtables N,
  // table-readers N" (consumers holding nothing left out).
  std::string Describe() const;

  // A MemoryCharge for an arena whose commits belong to `consumer`; it lives
  // as long as the budget.
  MemoryCharge* Account(Consumer consumer) { return &accounts_[Index(consumer)]; }

 private:
  friend class DBImpl;
  friend class TableCache;

  // The engine's own (friends): a holder of charged memory that can give
  // some back when another holder needs room, each DB's block cache and
  // idle table readers (TableCache). Relieve frees about `bytes` if it can
  // and returns the bytes it freed. It runs under the registry mutex, so it
  // must not call AddReliever, RemoveReliever or RelieveOthers, nor wait for
  // a thread that may.
  class Reliever {
   public:
    virtual std::size_t Relieve(std::size_t bytes) = 0;

   protected:
    ~Reliever() = default;
  };
  // Registers `reliever` until RemoveReliever, which returns once no call
  // into it runs (so the reliever may be destroyed then).
  void AddReliever(Reliever* reliever) ARENAKV_EXCLUDES(relievers_mu_);
  void RemoveReliever(Reliever* reliever) ARENAKV_EXCLUDES(relievers_mu_);
  // Asks the registered relievers other than `self` (may be null) in turn,
  // starting after the one asked last, until `bytes` are freed or each was
  // asked once; returns the bytes freed.
  std::size_t RelieveOthers(std::size_t bytes, const Reliever* self)
      ARENAKV_EXCLUDES(relievers_mu_);

  class ConsumerAccount final : public MemoryCharge {
   public:
    bool TryCharge(std::size_t bytes) noexcept override {
      return budget->TryCharge(consumer, bytes);
    }
    void Release(std::size_t bytes) noexcept override { budget->Release(consumer, bytes); }
    MemoryBudget* budget = nullptr;
    Consumer consumer = Consumer::kOther;
  };

  static std::size_t Index(Consumer c) { return static_cast<std::size_t>(c); }

  const std::size_t limit_;
  std::atomic<std::size_t> charged_{0};
  std::atomic<std::size_t> peak_{0};
  std::atomic<std::size_t> refusals_{0};
  std::array<std::atomic<std::size_t>, kNumConsumers> by_consumer_{};
  std::array<ConsumerAccount, kNumConsumers> accounts_;
  Mutex relievers_mu_;
  std::vector<Reliever*> relievers_ ARENAKV_GUARDED_BY(relievers_mu_);
  std::size_t next_reliever_ ARENAKV_GUARDED_BY(relievers_mu_) = 0;
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_MEMORY_BUDGET_H_
