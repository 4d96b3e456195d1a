// wal/frame.h — entries to frame bytes and back.
//
// Owns the zstd contexts (reused across frames: creating one per frame costs more than
// compressing a small batch). One FrameEncoder/FrameDecoder per thread; neither is thread-safe.
// Guarantees: encode() output always decodes to the same entries; decode() never reads outside
// the bytes it is given and rejects any payload whose lengths or terms disagree with the header.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "wal/layout.h"

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

namespace uq::wal {

// One log entry. The WAL stores `type` and `payload` without interpreting them.
struct Entry {
  Index index = 0;
  Term term = 0;
  uint8_t type = 0;
  std::string payload;

  bool operator==(const Entry&) const = default;
};

class FrameEncoder {
 public:
  // Batches whose raw payload is below compress_min_bytes stay raw: zstd's frame overhead and
  // call cost would eat the gain. A batch is also stored raw when compression does not shrink it.
  // After a batch that did not shrink by an eighth, the next 1, 2, 4 ... up to kMaxSkippedFrames
  // batches are stored raw without trying (reset by the first batch that shrinks that much): on
  // nearly incompressible payloads (random or already compressed BLOBs) zstd took 70% of a
  // group-commit round's CPU to save a few entry headers.
  FrameEncoder(size_t compress_min_bytes, int zstd_level);
  ~FrameEncoder();
  FrameEncoder(const FrameEncoder&) = delete;
  FrameEncoder& operator=(const FrameEncoder&) = delete;

  // Fills out[kFrameHeaderSize, ...) with the stored payload of `entries` (contiguous indexes,
  // checked by the caller) and returns the header fields; the caller sets synced_offset and calls
  // encode_frame_header(). out is resized to the whole frame.
  FrameHeader encode(std::span<const Entry* const> entries, std::vector<uint8_t>* out);

  static constexpr unsigned kMaxSkippedFrames = 64;

 private:
  size_t compress_min_bytes_;
  int zstd_level_;
  unsigned skip_left_ = 0;  // batches still to store raw without trying
  unsigned skip_next_ = 1;  // how many to skip after the next futile try
  ZSTD_CCtx_s* cctx_;
  std::vector<uint8_t> raw_;
};

class FrameDecoder {
 public:
  FrameDecoder();
  ~FrameDecoder();
  FrameDecoder(const FrameDecoder&) = delete;
  FrameDecoder& operator=(const FrameDecoder&) = delete;

  // Decodes the frame whose validated header is `header` and whose stored payload is `stored`,
  // appending the entries with index in [lo, hi) to out.
  Status decode(const FrameHeader& header, const uint8_t* stored, Index lo, Index hi,
                std::vector<Entry>* out);

 private:
  ZSTD_DCtx_s* dctx_;
  std::vector<uint8_t> raw_;
};

}  // namespace uq::wal
