// SPDX-License-Identifier: Apache-2.0
#include "mvcc/table/block_compression.h"

#include <lz4.h>
#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <new>
#include <string>

#include "mvcc/util/coding.h"

namespace arenakv {
namespace {

static_assert(kMaxUncompressedBlockSize <= LZ4_MAX_INPUT_SIZE,
              "lz4 takes int sizes up to LZ4_MAX_INPUT_SIZE");

// An lz4 sequence costs at least one byte per 255 bytes it produces (a
// length byte of 255), so no lz4 block expands more than 255x.
constexpr std::uint64_t kLz4MaxExpansion = 255;

struct ZstdContextFree {
  void operator()(ZSTD_CCtx* context) const { ZSTD_freeCCtx(context); }
  void operator()(ZSTD_DCtx* context) const { ZSTD_freeDCtx(context); }
};

// This thread's zstd contexts, created on first use: ZSTD_compress and
// ZSTD_decompress would allocate and free one per block. Null if creation
// failed (out of memory); callers then fall back to those functions.
ZSTD_CCtx* ThreadCompressContext() {
  thread_local std::unique_ptr<ZSTD_CCtx, ZstdContextFree> context(ZSTD_createCCtx());
  return context.get();
}
ZSTD_DCtx* ThreadUncompressContext() {
  thread_local std::unique_ptr<ZSTD_DCtx, ZstdContextFree> context(ZSTD_createDCtx());
  return context.get();
}

// Compresses src into [dst, dst + capacity); the compressed size, or 0 if it
// does not fit (both libraries stop early then, so incompressible data costs
// little) or the type is not a compression.
std::size_t CompressInto(CompressionType type, std::string_view src, char* dst,
                         std::size_t capacity) {
  switch (type) {
    case CompressionType::kLz4: {
      const int n = LZ4_compress_default(src.data(), dst, static_cast<int>(src.size()),
                                         static_cast<int>(capacity));
      return n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    case CompressionType::kZstd: {
      ZSTD_CCtx* context = ThreadCompressContext();
      const std::size_t n =
          context != nullptr
              ? ZSTD_compressCCtx(context, dst, capacity, src.data(), src.size(),
                                  kZstdCompressionLevel)
              : ZSTD_compress(dst, capacity, src.data(), src.size(), kZstdCompressionLevel);
      return ZSTD_isError(n) ? 0 : n;
    }
    case CompressionType::kNone:
      break;
  }
  return 0;
}

Status Corrupt(const char* what) { return Status::Corruption(std::string("sst: ") + what); }

}  // namespace

bool CompressBlock(CompressionType type, std::string_view raw, std::string* payload) {
  if (type == CompressionType::kNone || raw.empty() || raw.size() > kMaxUncompressedBlockSize) {
    return false;
  }
  // The largest payload that still saves 1/8: 8 * payload <= 7 * raw.
  const std::size_t max_payload = raw.size() * 7 / 8;
  char header[kMaxVarint32Length];
  const std::size_t header_size = EncodeVarint64(header, raw.size());
  if (max_payload <= header_size) return false;
  payload->resize(max_payload);
  std::copy(header, header + header_size, payload->begin());
  const std::size_t n =
      CompressInto(type, raw, payload->data() + header_size, max_payload - header_size);
  if (n == 0) return false;
  payload->resize(header_size + n);
  return true;
}

Status UncompressBlock(CompressionType type, std::string_view payload, std::string* raw) {
  std::uint32_t size = 0;
  if (!GetVarint32(&payload, &size)) return Corrupt("bad compressed block size");
  if (size > kMaxUncompressedBlockSize || payload.size() > kMaxUncompressedBlockSize) {
    return Corrupt("compressed block larger than any block written compressed");
  }
  // Reject an impossible declared size before allocating it.
  switch (type) {
    case CompressionType::kLz4:
      if (size > payload.size() * kLz4MaxExpansion) {
        return Corrupt("lz4 block declares more bytes than it can hold");
      }
      break;
    case CompressionType::kZstd:
      if (ZSTD_getFrameContentSize(payload.data(), payload.size()) != size) {
        return Corrupt("zstd frame content size disagrees with the block's size");
      }
      break;
    default:
      return Corrupt("unknown block compression type");
  }

  // A damaged zstd header can still claim up to the bound; an allocation
  // that fails for it reads as the damage it is.
  try {
    raw->resize(size);
  } catch (const std::bad_alloc&) {
    return Corrupt("compressed block declares more bytes than can be allocated");
  }
  bool exact = false;
  if (type == CompressionType::kLz4) {
    const int n = LZ4_decompress_safe(payload.data(), raw->data(), static_cast<int>(payload.size()),
                                      static_cast<int>(size));
    exact = n >= 0 && static_cast<std::uint32_t>(n) == size;
  } else {
    ZSTD_DCtx* context = ThreadUncompressContext();
    const std::size_t n =
        context != nullptr
            ? ZSTD_decompressDCtx(context, raw->data(), size, payload.data(), payload.size())
            : ZSTD_decompress(raw->data(), size, payload.data(), payload.size());
    exact = !ZSTD_isError(n) && n == size;
  }
  if (!exact) return Corrupt("compressed block does not decode to its declared size");
  return Status::OK();
}

}  // namespace arenakv
