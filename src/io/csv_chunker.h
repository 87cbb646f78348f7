// Cuts a stream of CSV text into pieces of whole records, so that several threads can parse
// and classify the pieces at once (classify_csv's pipeline, src/api/csv_classify.cpp).
//
// A piece ends right after a line feed that ends a record: one outside any quoted field, as
// csv_reader decides it. Finding those line feeds does not need the full parse: only quotes
// change the state, and a quote opens a quoted field exactly when it starts a field (it
// follows a comma, a line feed or the start of the stream); inside a quoted field, "" is a
// quote and the next lone quote closes it; whatever follows a closing quote, csv_reader
// carries on outside any quoted field (a stray character after the quote is an error it
// reports, then it reads the rest of the field as plain data). So the scan jumps from quote
// to quote with memchr and, once a piece is long enough, to the next line feed. Every cut is
// therefore a place where csv_reader, reading the whole stream, would start a record: each
// piece parsed on its own gives the same records, errors and line numbers (counted from
// the piece's first line) as the whole stream would.
//
// Memory stays bounded. A piece is about `target_bytes` plus the rest of its last record.
// A record longer than max_record_size (which csv_reader would report as an error with no
// fields) is not buffered: it comes out as a piece of its own with `oversized` set, holding
// none of its bytes, only how many line feeds it spanned. An error of the byte source (an
// I/O or decoding error) comes out after the piece of the records completed before it, as
// csv_reader would have read them, as a piece with `error` set.
//
// Not thread-safe: one thread calls next().
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string_view>

#include "io/byte_stream.h"

namespace chanrules::io {

struct csv_chunk {
  std::unique_ptr<char[]> data;
  size_t size = 0;
  size_t capacity = 0;
  uint64_t offset = 0;      // offset in the (decoded) stream of data[0]
  uint64_t first_line = 1;  // line number of data[0] (1 + the line feeds before it)
  bool first = false;       // the piece starts the stream (and may begin with a BOM)
  // A record over max_record_size: no bytes, and the line feeds it spans (its own included).
  bool oversized = false;
  uint64_t oversized_lines = 0;
  uint64_t oversized_bytes = 0;
  // The source failed here; the pieces before hold every record completed before the failure.
  std::exception_ptr error;

  std::string_view text() const noexcept { return {data.get(), size}; }
  // Grows the buffer to at least `n` bytes, keeping the first `size`.
  void reserve(size_t n);
};

class csv_chunker {
 public:
  // Does not own `source`. `target_bytes` >= 1 is where a piece may end (a tiny value cuts
  // after every record: tests use it to put every record on a boundary).
  csv_chunker(byte_source& source, size_t target_bytes, size_t max_record_size);

  // Fills `chunk` (reusing its memory) with the next piece; false once the input is done.
  // Does not throw for source failures (see `error`); may throw std::bad_alloc.
  bool next(csv_chunk& chunk);

  // Bytes read from the source per call; pieces carry at most this much past their cut.
  static constexpr size_t read_size = size_t{64} << 10;

 private:
  enum class state : uint8_t { outside, inside, inside_quote };

  bool next_piece(csv_chunk& chunk);
  const char* scan(const char* p, const char* end, const char* cut_from);
  void on_quote(const char* q);
  // Index just past the last record-ending line feed in [from, size), rescanned from a
  // record start at `from`; `from` when there is none. Leaves the scan state at the end.
  size_t last_cut(const csv_chunk& chunk, size_t from);
  bool finish_oversized(csv_chunk& chunk);
  size_t read_into(csv_chunk& chunk);

  byte_source& source_;
  size_t target_;
  size_t max_record_;
  std::unique_ptr<char[]> carry_;  // bytes read past the last cut
  size_t carry_size_ = 0;
  uint64_t offset_ = 0;  // stream offset of the next byte to hand out
  uint64_t line_ = 1;    // line number of that byte
  bool started_ = false;
  bool eof_ = false;
  std::exception_ptr pending_error_;
  // An oversized record under way: its line feeds and bytes so far.
  bool discarding_ = false;
  uint64_t discard_lines_ = 0;
  uint64_t discard_bytes_ = 0;

  // Scan state between calls of scan().
  state state_ = state::outside;
  const char* begin_ = nullptr;  // first byte of the text being scanned
  char prev_ = '\n';             // the byte before begin_ (a line feed at a record start)
};

}  // namespace chanrules::io
