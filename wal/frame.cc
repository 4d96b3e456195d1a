#include "wal/frame.h"

#include <zstd.h>

#include <algorithm>

#include "core/check.h"

namespace uq::wal {

FrameEncoder::FrameEncoder(size_t compress_min_bytes, int zstd_level)
    : compress_min_bytes_(compress_min_bytes), zstd_level_(zstd_level), cctx_(ZSTD_createCCtx()) {
  UQ_CHECK(cctx_ != nullptr, "ZSTD_createCCtx failed");
}

FrameEncoder::~FrameEncoder() {
  ZSTD_freeCCtx(cctx_);
}

FrameHeader FrameEncoder::encode(std::span<const Entry* const> entries, std::vector<uint8_t>* out) {
  UQ_CHECK(!entries.empty(), "encoding an empty frame");
  size_t raw_size = 0;
  for (const Entry* e : entries) {
    UQ_CHECK(e->payload.size() <= UINT32_MAX, "entry payload too large");
    raw_size += kEntryHeaderSize + e->payload.size();
  }
  UQ_CHECK(raw_size <= kMaxFrameRawBytes, "frame of %zu bytes exceeds the maximum", raw_size);
  FrameHeader h;
  h.raw_length = static_cast<uint32_t>(raw_size);
  h.count = static_cast<uint32_t>(entries.size());
  h.first_index = entries.front()->index;
  h.first_term = entries.front()->term;
  h.last_term = entries.back()->term;

  bool try_compress = raw_size >= compress_min_bytes_ && skip_left_ == 0;
  if (raw_size >= compress_min_bytes_ && skip_left_ > 0) {
    --skip_left_;
  }
  // Raw entries go straight into the frame buffer when we will not compress; otherwise into raw_.
  std::vector<uint8_t>* raw_target = try_compress ? &raw_ : out;
  size_t base = try_compress ? 0 : kFrameHeaderSize;
  raw_target->resize(base + raw_size);
  uint8_t* p = raw_target->data() + base;
  for (const Entry* e : entries) {
    store_u64(p, e->term);
    store_u32(p + 8, static_cast<uint32_t>(e->payload.size()));
    p[12] = e->type;
    std::memcpy(p + kEntryHeaderSize, e->payload.data(), e->payload.size());
    p += kEntryHeaderSize + e->payload.size();
  }
  if (!try_compress) {
    h.stored_length = h.raw_length;
    return h;
  }
  size_t bound = ZSTD_compressBound(raw_size);
  out->resize(kFrameHeaderSize + bound);
  size_t n = ZSTD_compressCCtx(cctx_, out->data() + kFrameHeaderSize, bound, raw_.data(), raw_size,
                               zstd_level_);
  bool shrank = !ZSTD_isError(n) && n < raw_size;
  // Saving under an eighth does not pay for zstd's time on the next batches (the disk writes
  // whole pages either way): count it as futile, though this batch keeps what it saved.
  if (shrank && n < raw_size - raw_size / 8) {
    skip_next_ = 1;
  } else {
    skip_left_ = skip_next_;
    skip_next_ = std::min(skip_next_ * 2, kMaxSkippedFrames);
  }
  if (shrank) {
    h.flags |= kFrameCompressed;
    h.stored_length = static_cast<uint32_t>(n);
    out->resize(kFrameHeaderSize + n);
    return h;
  }
  out->resize(kFrameHeaderSize + raw_size);
  std::memcpy(out->data() + kFrameHeaderSize, raw_.data(), raw_size);
  h.stored_length = h.raw_length;
  return h;
}

FrameDecoder::FrameDecoder() : dctx_(ZSTD_createDCtx()) {
  UQ_CHECK(dctx_ != nullptr, "ZSTD_createDCtx failed");
}

FrameDecoder::~FrameDecoder() {
  ZSTD_freeDCtx(dctx_);
}

Status FrameDecoder::decode(const FrameHeader& header, const uint8_t* stored, Index lo, Index hi,
                            std::vector<Entry>* out) {
  const uint8_t* raw = stored;
  if (header.compressed()) {
    raw_.resize(header.raw_length);
    size_t n = ZSTD_decompressDCtx(dctx_, raw_.data(), raw_.size(), stored, header.stored_length);
    if (ZSTD_isError(n) || n != header.raw_length) {
      return error(Code::kCorruption, "frame payload does not decompress to its raw length");
    }
    raw = raw_.data();
  }
  size_t pos = 0;
  Term previous_term = header.first_term;
  for (uint32_t i = 0; i < header.count; ++i) {
    if (header.raw_length - pos < kEntryHeaderSize) {
      return error(Code::kCorruption, "entry header runs past the frame payload");
    }
    Term term = load_u64(raw + pos);
    uint32_t length = load_u32(raw + pos + 8);
    uint8_t type = raw[pos + 12];
    pos += kEntryHeaderSize;
    if (length > header.raw_length - pos) {
      return error(Code::kCorruption, "entry payload runs past the frame payload");
    }
    if (term < previous_term || (i == 0 && term != header.first_term)) {
      return error(Code::kCorruption, "entry terms disagree with the frame header");
    }
    previous_term = term;
    Index index = header.first_index + i;
    if (index >= lo && index < hi) {
      out->push_back(
          Entry{index, term, type, std::string(reinterpret_cast<const char*>(raw + pos), length)});
    }
    pos += length;
  }
  if (pos != header.raw_length || previous_term != header.last_term) {
    return error(Code::kCorruption, "frame payload length or last term disagree with the header");
  }
  return Status::ok();
}

}  // namespace uq::wal
