// SPDX-License-Identifier: Apache-2.0
// The block compression codec shared by TableBuilder (CompressBlock) and
// ReadBlock (UncompressBlock). Layout: docs/FORMATS.md, "Block trailer".
//
// A compressed block is stored as a payload
//   varint32 uncompressed size | compressed bytes (an lz4 block or a zstd frame)
// and its trailer's type byte names the algorithm. The declared size lets the
// reader allocate the output once and check that the compressed bytes decode
// to exactly that many bytes; it is bounded (kMaxUncompressedBlockSize), so a
// damaged header can never ask for an unbounded allocation.
//
// Thread safety: both functions may be called from any number of threads at
// once. Each thread keeps its own zstd contexts (created on its first zstd
// call, freed when it exits), so compressing or uncompressing a block does not
// allocate them anew. lz4 and zstd headers stay private to the .cc file.
#ifndef ARENAKV_MVCC_TABLE_BLOCK_COMPRESSION_H_
#define ARENAKV_MVCC_TABLE_BLOCK_COMPRESSION_H_

#include <arenakv/mvcc/db.h>
#include <arenakv/mvcc/status.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace arenakv {

// The largest block ever stored compressed, and the largest uncompressed size
// a reader accepts. Blocks are ~block_size (4 KiB by default), but one block
// holds a whole entry, and values may be up to max_value_size (256 MiB by
// default); 1 GiB leaves room for that and stays below lz4's input limit
// (LZ4_MAX_INPUT_SIZE, ~2 GiB). A larger block is written uncompressed.
constexpr std::size_t kMaxUncompressedBlockSize = std::size_t{1} << 30;

// zstd level 3 (ZSTD_CLEVEL_DEFAULT): zstd's own default and the level
// RocksDB uses for kZSTD, so side-by-side runs compare like with like. On
// 4 KiB blocks it costs little more than level 1 and compresses better.
constexpr int kZstdCompressionLevel = 3;

// Compresses `raw` with `type` into *payload (the stored form above) and
// returns true if that saves at least 1/8 of raw's bytes, i.e.
// 8 * payload->size() <= 7 * raw.size(). Returns false, with *payload
// unspecified, when type is kNone or unknown, raw is empty or larger than
// kMaxUncompressedBlockSize, or the saving is smaller: the block is then
// stored uncompressed (type kNone).
bool CompressBlock(CompressionType type, std::string_view raw, std::string* payload);

// Uncompresses the stored payload of a block whose trailer type is `type`
// into *raw. Corruption, with *raw unspecified, if type is not kLz4 or kZstd,
// the size header is malformed, the declared size or the payload exceeds
// kMaxUncompressedBlockSize, the declared size is impossible for the payload
// (lz4 expands at most 255x; a zstd frame must record the same content size),
// or the compressed bytes do not decode to exactly the declared size.
Status UncompressBlock(CompressionType type, std::string_view payload, std::string* raw);

}  // namespace arenakv

#endif  // ARENAKV_MVCC_TABLE_BLOCK_COMPRESSION_H_
