// Cutting CSV text into pieces of whole records (see csv_chunker.h).
#include "io/csv_chunker.h"

#include <algorithm>
#include <cstring>

namespace chanrules::io {

namespace {

uint64_t count_newlines(const char* p, const char* end) {
  return static_cast<uint64_t>(std::count(p, end, '\n'));
}

}  // namespace

void csv_chunk::reserve(size_t n) {
  if (n <= capacity) return;
  size_t cap = std::max(n, capacity * 2);
  auto bigger = std::make_unique_for_overwrite<char[]>(cap);
  if (size > 0) std::memcpy(bigger.get(), data.get(), size);
  data = std::move(bigger);
  capacity = cap;
}

csv_chunker::csv_chunker(byte_source& source, size_t target_bytes, size_t max_record_size)
    : source_(source),
      target_(std::max<size_t>(target_bytes, 1)),
      max_record_(std::min<size_t>(max_record_size, size_t{1} << 40)) {
  carry_ = std::make_unique_for_overwrite<char[]>(read_size);
}

// A quote outside any quoted field opens one only at the start of a field; anywhere else
// csv_reader reports it and takes it as data.
void csv_chunker::on_quote(const char* q) {
  char before = q == begin_ ? prev_ : q[-1];
  if (before == ',' || before == '\n') state_ = state::inside;
}

const char* csv_chunker::scan(const char* p, const char* end, const char* cut_from) {
  while (p < end) {
    switch (state_) {
      case state::inside: {
        const auto* q = static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(end - p)));
        if (q == nullptr) return nullptr;
        if (q + 1 == end) {  // "" or the closing quote: the next byte decides
          state_ = state::inside_quote;
          return nullptr;
        }
        if (q[1] == '"') {
          p = q + 2;
        } else {
          state_ = state::outside;
          p = q + 1;
        }
        break;
      }
      case state::inside_quote:
        if (*p == '"') {
          ++p;
          state_ = state::inside;
        } else {
          state_ = state::outside;
        }
        break;
      case state::outside: {
        if (p < cut_from) {  // too early to cut: only quotes matter
          const char* limit = std::min(end, cut_from);
          const auto* q =
              static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(limit - p)));
          if (q == nullptr) {
            p = limit;
          } else {
            on_quote(q);
            p = q + 1;
          }
          break;
        }
        const auto* lf =
            static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
        const char* stop = lf != nullptr ? lf : end;
        const auto* q =
            static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(stop - p)));
        if (q != nullptr) {
          on_quote(q);
          p = q + 1;
          break;
        }
        if (lf != nullptr) return lf + 1;
        return nullptr;
      }
    }
  }
  return nullptr;
}

size_t csv_chunker::last_cut(const csv_chunk& chunk, size_t from) {
  state_ = state::outside;
  begin_ = chunk.data.get() + from;
  prev_ = '\n';
  const char* p = begin_;
  const char* end = chunk.data.get() + chunk.size;
  size_t cut = from;
  while (const char* c = scan(p, end, p)) {
    cut = static_cast<size_t>(c - chunk.data.get());
    p = c;
  }
  return cut;
}

size_t csv_chunker::read_into(csv_chunk& chunk) {
  chunk.reserve(chunk.size + read_size);
  size_t got = source_.read(chunk.data.get() + chunk.size, read_size);
  if (got == 0) eof_ = true;
  chunk.size += got;
  return got;
}

bool csv_chunker::finish_oversized(csv_chunk& chunk) {
  chunk.oversized = true;
  for (;;) {
    chunk.size = 0;
    size_t got = 0;
    if (!eof_) {
      try {
        got = read_into(chunk);
      } catch (...) {
        // csv_reader would fail in the middle of this record: it never becomes a reject.
        chunk.oversized = false;
        chunk.error = std::current_exception();
        discarding_ = false;
        eof_ = true;
        return true;
      }
    }
    if (got == 0) {  // the record ends with the input
      chunk.oversized_lines = discard_lines_;
      chunk.oversized_bytes = discard_bytes_;
      offset_ += discard_bytes_;
      discarding_ = false;
      return true;
    }
    const char* data = chunk.data.get();
    begin_ = data;
    const char* cut = scan(data, data + got, data);
    if (cut != nullptr) {
      size_t n = static_cast<size_t>(cut - data);
      discard_lines_ += count_newlines(data, cut);
      discard_bytes_ += n;
      std::memcpy(carry_.get(), cut, got - n);
      carry_size_ = got - n;
      chunk.size = 0;
      chunk.oversized_lines = discard_lines_;
      chunk.oversized_bytes = discard_bytes_;
      offset_ += discard_bytes_;
      discarding_ = false;
      return true;
    }
    discard_lines_ += count_newlines(data, data + got);
    discard_bytes_ += got;
    prev_ = data[got - 1];
  }
}

bool csv_chunker::next(csv_chunk& chunk) {
  chunk.first_line = line_;
  bool more = next_piece(chunk);
  if (more) {
    line_ += chunk.oversized ? chunk.oversized_lines
                             : count_newlines(chunk.data.get(), chunk.data.get() + chunk.size);
  }
  return more;
}

bool csv_chunker::next_piece(csv_chunk& chunk) {
  chunk.size = 0;
  chunk.oversized = false;
  chunk.oversized_lines = chunk.oversized_bytes = 0;
  chunk.error = nullptr;
  chunk.first = !started_;
  chunk.offset = offset_;
  if (pending_error_) {
    chunk.error = pending_error_;
    pending_error_ = nullptr;
    eof_ = true;
    carry_size_ = 0;
    return true;
  }
  if (discarding_) return finish_oversized(chunk);
  if (eof_ && carry_size_ == 0) return false;

  chunk.reserve(std::min(target_, size_t{1} << 30) + 2 * read_size);
  std::memcpy(chunk.data.get(), carry_.get(), carry_size_);
  chunk.size = carry_size_;
  carry_size_ = 0;

  size_t base = 0;  // where the first record starts (after a BOM)
  size_t pos = 0;   // scanned so far
  try {
    if (!started_) {
      started_ = true;
      while (chunk.size < 3 && !eof_ && read_into(chunk) > 0) {
      }
      if (chunk.size >= 3 && std::memcmp(chunk.data.get(), "\xEF\xBB\xBF", 3) == 0) base = 3;
    }
    pos = base;
    state_ = state::outside;
    prev_ = '\n';
    const size_t cut_index = std::max(base, target_ - 1);  // a line feed here or later may end it
    for (;;) {
      const char* data = chunk.data.get();
      begin_ = data + base;
      const char* cut = scan(data + pos, data + chunk.size,
                             data + std::min(chunk.size, std::max(pos, cut_index)));
      if (cut != nullptr) {
        size_t n = static_cast<size_t>(cut - data);
        carry_size_ = chunk.size - n;
        std::memcpy(carry_.get(), cut, carry_size_);
        chunk.size = n;
        offset_ += n;
        return true;
      }
      pos = chunk.size;
      if (chunk.size > std::max(target_, base) + max_record_ + 1) {
        // The record that crosses the target is already longer than csv_reader keeps: hand
        // out the records before it, then skip it (see finish_oversized).
        size_t b = last_cut(chunk, base);
        discard_lines_ = count_newlines(chunk.data.get() + b, chunk.data.get() + chunk.size);
        discard_bytes_ = chunk.size - b;
        prev_ = chunk.data[chunk.size - 1];
        discarding_ = true;
        if (b > base) {
          chunk.size = b;
          offset_ += b;
          return true;
        }
        discard_bytes_ = chunk.size;  // a BOM before the record goes with it
        return finish_oversized(chunk);
      }
      if (eof_ || read_into(chunk) == 0) {
        if (chunk.size == 0) return false;
        offset_ += chunk.size;
        return true;
      }
    }
  } catch (...) {
    // Hand out the records completed before the failure, as csv_reader would have read
    // them; the failure itself comes as the next piece.
    pending_error_ = std::current_exception();
    size_t b = last_cut(chunk, base);
    chunk.size = b;
    offset_ += b;
    if (b > base) return true;
    chunk.error = pending_error_;
    pending_error_ = nullptr;
    eof_ = true;
    return true;
  }
}

}  // namespace chanrules::io
