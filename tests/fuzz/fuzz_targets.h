// fuzz_targets.h: the bodies of neardup's fuzz targets, shared by the libFuzzer programs
// (tests/fuzz/<name>_fuzzer.cc, built with clang by scripts/fuzz) and by
// tests/fuzz_regression_test.cc, which replays every saved input in tests/fuzz/regressions/<name>/
// through the same function in every build, clang or not.
//
// Each target takes arbitrary bytes, must never crash, hang or leak, and checks the documented
// contracts of the code it drives; a broken contract aborts (FUZZ_CHECK), which libFuzzer reports
// as a crash and saves as a reproducer. Targets and their input layout:
//   jsonl_record   the bytes are one JSONL record for RecordParser (twice: default field names, and
//                  one name for id, title and text, which takes the aliasing paths)
//   csv_record     one CSV record for RecordParser with the header id,title,text
//   tsv_record     one TSV record, same header
//   record_reader  byte 0: format (bits 0-1: jsonl, csv, tsv, text) and framing (bits 2-3: as is,
//                  gzip, zstd, two gzip members); byte 1: max_record_bytes (0: the default;
//                  1-127: itself; 128-255: (b - 127) * 256); byte 2: batch target (1 + 64 * b);
//                  the rest is the file, written to a memfd and read through RecordReader, every
//                  good record then parsed with RecordParser
//   normalize      the bytes are a text, normalized as a title and as a body (Normalizer defaults),
//                  in place, with normalization off and without the markup step; and the text
//                  through StripMarkup alone
//   shingle        byte 0: spec (bit 0: word, bit 1: keep_spaces, bits 2-7: k - 1); the rest a text,
//                  normalized with the defaults, then shingled; plus ShingleSpec::Parse of the text
#pragma once

#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "neardup/document.h"
#include "neardup/io/reader.h"
#include "neardup/text/markup.h"
#include "neardup/text/normalize.h"
#include "neardup/text/shingle.h"

#define FUZZ_CHECK(cond)                                                                    \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond);    \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)

namespace neardup::fuzz {

// Strict UTF-8 validity (no overlongs, surrogates or code points above U+10FFFF).
inline bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      const unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// ---- record parsing -------------------------------------------------------------------------

inline void CheckParsed(const absl::Status& status, uint64_t line, const Document& doc) {
  if (status.ok()) {
    FUZZ_CHECK(!doc.id.empty());
  } else {
    FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    // "FILE:LINE: reason"
    const std::string prefix = "fuzz.in:" + std::to_string(line) + ": ";
    FUZZ_CHECK(std::string_view(status.message().data(), status.message().size())
                   .substr(0, prefix.size()) == prefix);
  }
}

inline int JsonlRecord(const uint8_t* data, size_t size) {
  static RecordParser* parser = new RecordParser(Format::kJsonl, FieldNames{}, "fuzz.in", {});
  static RecordParser* aliased =
      new RecordParser(Format::kJsonl, FieldNames{"id", "id", "id"}, "fuzz.in", {});
  Document doc;
  for (RecordParser* p : {parser, aliased}) {
    absl::Status s = p->Parse(AsText(data, size), 1, &doc);
    CheckParsed(s, 1, doc);
    if (s.ok()) {
      // JSON strings come out as valid UTF-8: invalid bytes and lone surrogates become U+FFFD.
      FUZZ_CHECK(IsValidUtf8(doc.title));
      FUZZ_CHECK(IsValidUtf8(doc.body));
    }
  }
  return 0;
}

inline int DelimitedRecord(Format format, const uint8_t* data, size_t size) {
  RecordParser parser(format, FieldNames{}, "fuzz.in", {"id", "title", "text"});
  Document doc;
  CheckParsed(parser.Parse(AsText(data, size), 1, &doc), 1, doc);
  return 0;
}

inline int CsvRecord(const uint8_t* data, size_t size) {
  return DelimitedRecord(Format::kCsv, data, size);
}
inline int TsvRecord(const uint8_t* data, size_t size) {
  return DelimitedRecord(Format::kTsv, data, size);
}

// ---- the whole reader over a file -----------------------------------------------------------

inline std::string GzipMember(std::string_view plain) {
  z_stream zs{};
  if (deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&zs, plain.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  zs.avail_in = static_cast<uInt>(plain.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

inline std::string ZstdFrame(std::string_view plain) {
  std::string out(ZSTD_compressBound(plain.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), plain.data(), plain.size(), 1);
  if (ZSTD_isError(n)) return {};
  out.resize(n);
  return out;
}

// A file descriptor holding `bytes`, readable by path (/proc/self/fd/N), closed on destruction.
class MemFile {
 public:
  explicit MemFile(std::string_view bytes) {
    fd_ = memfd_create("neardup-fuzz", MFD_CLOEXEC);
    FUZZ_CHECK(fd_ >= 0);
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      FUZZ_CHECK(n > 0);
      done += static_cast<size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

inline int RecordReaderFile(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  static constexpr Format kFormats[] = {Format::kJsonl, Format::kCsv, Format::kTsv, Format::kText};
  const Format format = kFormats[data[0] & 3];
  const int framing = (data[0] >> 2) & 3;
  const size_t limit = data[1] == 0    ? kDefaultMaxRecordBytes
                       : data[1] < 128 ? data[1]
                                       : size_t{data[1] - 127u} * 256;
  const size_t target = 1 + size_t{data[2]} * 64;
  const std::string_view payload = AsText(data + 3, size - 3);
  std::string file;
  switch (framing) {
    case 0: file.assign(payload); break;
    case 1: file = GzipMember(payload); break;
    case 2: file = ZstdFrame(payload); break;
    case 3:
      file = GzipMember(payload.substr(0, payload.size() / 2)) +
             GzipMember(payload.substr(payload.size() / 2));
      break;
  }
  MemFile mem(file);
  auto reader = RecordReader::Open(mem.path(), format, limit);
  if (!reader.ok()) return 0;  // e.g. an oversized header, or corrupt compressed data
  const size_t max_capacity = std::max(size_t{1} << 20, 2 * limit);
  FUZZ_CHECK((*reader)->buffer_capacity() <= max_capacity);
  RecordParser parser(format, FieldNames{}, "fuzz.in", (*reader)->columns());
  RecordBatch batch;
  Document doc;
  uint64_t last_line = 0;
  uint64_t total = (*reader)->header_raw().size();
  for (;;) {
    absl::StatusOr<bool> more = (*reader)->ReadBatch(target, &batch);
    FUZZ_CHECK((*reader)->buffer_capacity() <= max_capacity);
    if (!more.ok() || !*more) {
      if (more.ok()) FUZZ_CHECK(batch.size() == 0);
      break;
    }
    FUZZ_CHECK(batch.size() > 0);
    FUZZ_CHECK(batch.offsets.size() == batch.size() + 1);
    FUZZ_CHECK(batch.oversized_length.size() == batch.size());
    FUZZ_CHECK(batch.offsets.back() == batch.data.size());
    FUZZ_CHECK(batch.raw_bytes >= batch.data.size());
    total += batch.raw_bytes;
    for (size_t i = 0; i < batch.size(); ++i) {
      FUZZ_CHECK(batch.offsets[i] <= batch.offsets[i + 1]);
      FUZZ_CHECK(batch.line_numbers[i] > last_line);
      last_line = batch.line_numbers[i];
      const std::string_view raw = batch.record(i);
      if (batch.oversized(i)) {
        FUZZ_CHECK(batch.oversized_length[i] > limit);
        FUZZ_CHECK(raw.size() <= std::min(kOversizedPrefixBytes, limit));
        FUZZ_CHECK(raw.find('\n') == std::string_view::npos);
        continue;
      }
      FUZZ_CHECK(!raw.empty() && raw.size() <= limit);
      absl::Status s = parser.Parse(raw, batch.line_numbers[i], &doc);
      CheckParsed(s, batch.line_numbers[i], doc);
    }
  }
  // Records never add up to more bytes than the (decompressed) input.
  if (framing != 0) FUZZ_CHECK(total <= payload.size());
  return 0;
}

// ---- normalization and shingling ------------------------------------------------------------

inline bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

inline int NormalizeText(const uint8_t* data, size_t size) {
  static const Normalizer* normalizer = new Normalizer();
  static const Normalizer* off = new Normalizer(NormalizeOptions{/*enabled=*/false});
  static const Normalizer* no_markup = [] {
    NormalizeOptions options;
    options.strip_markup = false;
    return new Normalizer(options);
  }();
  const std::string_view text = AsText(data, size);
  // Step 2 alone: nothing to do without '<' or '&'; never longer; valid UTF-8 stays valid.
  std::string stripped = "stale";
  const bool has_markup = FindMarkup(text) != text.size();
  const bool changed = StripMarkup(text, &stripped);
  FUZZ_CHECK(has_markup || !changed);
  FUZZ_CHECK(changed || stripped.empty());
  FUZZ_CHECK(stripped.size() <= text.size());
  if (changed && IsValidUtf8(text)) FUZZ_CHECK(IsValidUtf8(stripped));
  std::string out;
  std::string in_place;
  std::string without_markup;
  for (TextField field : {TextField::kTitle, TextField::kBody}) {
    const size_t repairs = normalizer->Normalize(text, field, &out);
    FUZZ_CHECK(IsValidUtf8(out));
    // Without '<' and '&' the markup step changes nothing; either way the repairs are the same.
    FUZZ_CHECK(no_markup->Normalize(text, field, &without_markup) == repairs);
    if (!has_markup) FUZZ_CHECK(without_markup == out);
    // Step 8: white space collapsed to single spaces, trimmed.
    FUZZ_CHECK(out.empty() || (out.front() != ' ' && out.back() != ' '));
    FUZZ_CHECK(out.find("  ") == std::string::npos);
    FUZZ_CHECK(std::none_of(out.begin(), out.end(),
                            [](char c) { return c != ' ' && IsAsciiSpace(c); }));
    // `text` may overlap `*out`.
    in_place.assign(text);
    const size_t repairs_in_place = normalizer->Normalize(in_place, field, &in_place);
    FUZZ_CHECK(in_place == out);
    FUZZ_CHECK(repairs_in_place == repairs);
    if (IsValidUtf8(text)) FUZZ_CHECK(repairs == 0);
    // Normalization off: only the UTF-8 repair.
    std::string repaired;
    const size_t off_repairs = off->Normalize(text, field, &out);
    FUZZ_CHECK(off_repairs == RepairUtf8(text, &repaired));
    FUZZ_CHECK(out == repaired);
    FUZZ_CHECK(IsValidUtf8(out));
    if (off_repairs == 0) FUZZ_CHECK(out == text);
  }
  return 0;
}

// Code points of valid UTF-8 `s` that are not ASCII white space.
inline size_t NonSpaceCodePoints(std::string_view s) {
  size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80 && !IsAsciiSpace(c)) ++n;
  }
  return n;
}

inline int ShingleText(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const Normalizer* normalizer = new Normalizer();
  ShingleSpec spec;
  spec.unit = (data[0] & 1) ? ShingleUnit::kWord : ShingleUnit::kChar;
  spec.keep_spaces = (data[0] & 2) != 0;
  spec.k = 1 + (data[0] >> 2);  // 1..64
  const std::string_view raw = AsText(data + 1, size - 1);
  // The spec parser must refuse or accept anything without crashing; what it accepts prints back.
  absl::StatusOr<ShingleSpec> parsed = ShingleSpec::Parse(raw.substr(0, 32));
  if (parsed.ok()) {
    FUZZ_CHECK(parsed->k >= 1 && parsed->k <= 64);
    absl::StatusOr<ShingleSpec> again = ShingleSpec::Parse(parsed->ToString());
    FUZZ_CHECK(again.ok() && again->ToString() == parsed->ToString());
  }
  std::string text;
  normalizer->Normalize(raw, TextField::kBody, &text);
  std::vector<uint64_t> hashes;
  Shingle(text, spec, kShingleSeed, &hashes);
  if (spec.unit == ShingleUnit::kChar && !spec.keep_spaces) {
    const size_t n = NonSpaceCodePoints(text);
    const size_t k = static_cast<size_t>(spec.k);
    FUZZ_CHECK(hashes.size() == (n == 0 ? 0 : n < k ? 1 : n - k + 1));
  } else if (spec.unit == ShingleUnit::kChar) {
    FUZZ_CHECK(text.empty() == hashes.empty());
  } else {
    size_t tokens = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] != ' ' && (i == 0 || text[i - 1] == ' ')) ++tokens;
    }
    const size_t k = static_cast<size_t>(spec.k);
    FUZZ_CHECK(hashes.size() == (tokens == 0 ? 0 : tokens < k ? 1 : tokens - k + 1));
  }
  // Deterministic.
  std::vector<uint64_t> again;
  Shingle(text, spec, kShingleSeed, &again);
  FUZZ_CHECK(again == hashes);
  return 0;
}

}  // namespace neardup::fuzz
