// SPDX-License-Identifier: Apache-2.0
// A single-producer single-consumer ring of chunk batches: the hand-over in the
// cross-thread free benchmark (a producer allocates chunks, a consumer frees
// them, as when a flush thread drops what writer threads built).
//
// Thread safety: exactly one producer thread calls WaitFree/Push/WaitEmpty/Close
// and exactly one consumer thread calls WaitFront/Pop.
// Memory orders: Push publishes a filled batch with a release store of head_,
// which WaitFront acquires; Pop hands the slot back with a release store of
// tail_, which WaitFree acquires. A side that finds the ring full (empty)
// blocks in atomic::wait, which spins briefly before sleeping in the kernel, so
// more threads than cores do not starve each other.
#ifndef ARENAKV_BENCH_BATCH_RING_H_
#define ARENAKV_BENCH_BATCH_RING_H_

#include <atomic>
#include <cstdint>

namespace arenakv::bench {

class BatchRing {
 public:
  static constexpr int kBatchChunks = 256;
  static constexpr std::uint32_t kDepth = 8;  // batches in flight at most

  struct Batch {
    int count;  // 0 marks the end of the stream (Close)
    void* chunks[kBatchChunks];
  };

  // Producer: the next slot to fill, once the consumer has emptied it.
  Batch& WaitFree() {
    const std::uint32_t head = head_.load(std::memory_order_relaxed);
    for (;;) {
      const std::uint32_t tail = tail_.load(std::memory_order_acquire);
      if (head - tail < kDepth) return slots_[head % kDepth];
      tail_.wait(tail, std::memory_order_acquire);
    }
  }
  // Producer: hands the slot returned by WaitFree to the consumer.
  void Push() {
    head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    head_.notify_one();
  }
  // Producer: returns once the consumer has popped every pushed batch.
  void WaitEmpty() {
    const std::uint32_t head = head_.load(std::memory_order_relaxed);
    for (;;) {
      const std::uint32_t tail = tail_.load(std::memory_order_acquire);
      if (tail == head) return;
      tail_.wait(tail, std::memory_order_acquire);
    }
  }
  // Producer: ends the stream; WaitFront then returns nullptr.
  void Close() {
    WaitFree().count = 0;
    Push();
  }

  // Consumer: the oldest pushed batch, or nullptr once the stream is closed.
  Batch* WaitFront() {
    const std::uint32_t tail = tail_.load(std::memory_order_relaxed);
    for (;;) {
      const std::uint32_t head = head_.load(std::memory_order_acquire);
      if (head != tail) {
        Batch& batch = slots_[tail % kDepth];
        return batch.count == 0 ? nullptr : &batch;
      }
      head_.wait(head, std::memory_order_acquire);
    }
  }
  // Consumer: gives the batch returned by WaitFront back to the producer.
  void Pop() {
    tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    tail_.notify_one();
  }

 private:
  alignas(64) std::atomic<std::uint32_t> head_{0};  // batches pushed; written by the producer
  alignas(64) std::atomic<std::uint32_t> tail_{0};  // batches popped; written by the consumer
  alignas(64) Batch slots_[kDepth];
};

}  // namespace arenakv::bench

#endif  // ARENAKV_BENCH_BATCH_RING_H_
