// Streaming RFC 4180 reader (see csv_reader.h for the accepted syntax and error model).
//
// Layout of the work: `buf_` holds [rec_, tail_), the current record from its first byte
// plus whatever has been read after it. parse_record() scans forward from the record start;
// when it runs out of bytes mid-record it calls fill(), which appends one more block, first
// moving the partial record to the front of the buffer (growing it if needed) when there
// is no room left. The scan state kept across a fill() is offsets from the record start,
// and fill() moves the field views made so far, so the move invalidates nothing.
#include "io/csv_reader.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "io/csv_scan.h"

namespace chanrules::io {

namespace {

uint64_t count_newlines(const char* p, const char* end) {
  uint64_t n = 0;
  while (p < end) {
    const void* hit = std::memchr(p, '\n', static_cast<size_t>(end - p));
    if (hit == nullptr) break;
    ++n;
    p = static_cast<const char*>(hit) + 1;
  }
  return n;
}

std::string field_message(size_t field_number, const char* what) {
  return "field " + std::to_string(field_number) + ": " + what;
}

}  // namespace

csv_reader::csv_reader(byte_source& source, csv_reader_options options)
    : source_(&source), options_(options) {
  // A zero block would read nothing forever; past 1 GiB the doubling growth could overflow.
  options_.block_size = std::clamp<size_t>(options_.block_size, 1, size_t{1} << 30);
  options_.max_record_size = std::min<size_t>(options_.max_record_size, size_t{1} << 40);
  options_.max_fields = std::max<size_t>(options_.max_fields, 1);
  next_line_ = options_.first_line;
  cap_ = std::max<size_t>(2 * options_.block_size, 64);
  owned_ = std::make_unique_for_overwrite<char[]>(cap_);
  buf_ = owned_.get();
}

csv_reader::csv_reader(std::string_view text, csv_reader_options options)
    : source_(nullptr), options_(options) {
  options_.max_record_size = std::min<size_t>(options_.max_record_size, size_t{1} << 40);
  options_.max_fields = std::max<size_t>(options_.max_fields, 1);
  next_line_ = options_.first_line;
  buf_ = text.data();
  cap_ = tail_ = text.size();
  eof_ = true;  // all of the input is already here: fill() never reads
}

bool csv_reader::fill() {
  if (eof_) return false;
  if (cap_ - tail_ < options_.block_size) {
    // Make room: move the current record to the front of the buffer, or of a bigger one.
    // The views of its fields so far move with it (as offsets, since the old block may
    // be freed).
    const size_t keep = tail_ - rec_;
    rebase_.clear();
    for (std::string_view f : fields_) {
      rebase_.push_back(f.data() != nullptr ? static_cast<size_t>(f.data() - (buf_ + rec_))
                                            : SIZE_MAX);
    }
    if (cap_ - keep < options_.block_size) {
      size_t new_cap = std::max(2 * cap_, keep + options_.block_size);
      auto bigger = std::make_unique_for_overwrite<char[]>(new_cap);
      std::memcpy(bigger.get(), buf_ + rec_, keep);
      owned_ = std::move(bigger);
      buf_ = owned_.get();
      cap_ = new_cap;
    } else if (keep > 0) {
      std::memmove(owned_.get(), buf_ + rec_, keep);
    }
    for (size_t i = 0; i < fields_.size(); ++i) {
      if (rebase_[i] != SIZE_MAX) fields_[i] = {buf_ + rebase_[i], fields_[i].size()};
    }
    base_offset_ += rec_;
    tail_ = keep;
    rec_ = 0;
  }
  size_t got = source_->read(owned_.get() + tail_, options_.block_size);
  if (got == 0) {
    eof_ = true;
    return false;
  }
  tail_ += got;
  return true;
}

bool csv_reader::next() {
  if (!started_) {
    started_ = true;
    while (tail_ < 3 && fill()) {
    }
    if (options_.skip_bom && tail_ >= 3 && std::memcmp(buf_, "\xEF\xBB\xBF", 3) == 0) next_ = 3;
  }
  rec_ = next_;
  fields_.clear();
  escaped_.clear();
  scratch_.clear();
  error_.clear();
  severity_ = severity::none;
  limit_ = limit::none;
  raw_ = {};
  discarding_ = false;
  dropped_ = 0;

  // Skip completely empty lines; they are counted but are not records.
  for (;;) {
    if (rec_ == tail_) {
      if (fill()) continue;
      next_ = rec_;
      line_ = 0;
      offset_ = base_offset_ + rec_;
      return false;
    }
    char c = buf_[rec_];
    if (c == '\n') {
      ++rec_;
      ++next_line_;
      continue;
    }
    if (c == '\r') {
      if (rec_ + 1 == tail_) {
        if (fill()) continue;
        ++rec_;  // a CR as the last byte ends an empty line
        continue;
      }
      if (buf_[rec_ + 1] == '\n') {
        rec_ += 2;
        ++next_line_;
        continue;
      }
    }
    break;
  }

  parse_record();
  ++records_;
  return true;
}

void csv_reader::set_error(severity level, std::string message, limit which, size_t field) {
  if (level > severity_) {
    severity_ = level;
    error_ = std::move(message);
    limit_ = which;
    limit_field_ = field;
  }
}

void csv_reader::start_discarding() {
  discarding_ = true;
  fields_.clear();
  escaped_.clear();
  scratch_.clear();
}

void csv_reader::push_field_slow(size_t begin, size_t end, bool escaped) {
  if (discarding_) return;
  size_t n = end - begin;
  if (n > options_.max_field_size) {
    set_error(severity::field_limit,
              field_message(fields_.size() + 1, "longer than max_field_size (") +
                  std::to_string(options_.max_field_size) + " bytes)",
              limit::field_size, fields_.size());
    start_discarding();
    return;
  }
  if (fields_.size() >= options_.max_fields) {
    set_error(severity::field_limit,
              "more than max_fields (" + std::to_string(options_.max_fields) + ") fields",
              limit::fields);
    start_discarding();
    return;
  }
  if (!escaped) {
    fields_.emplace_back(buf_ + rec_ + begin, n);
    return;
  }
  // Collapse each "" to ". Inside a field that reached here every quote is doubled.
  const char* s = buf_ + rec_ + begin;
  const char* e = s + n;
  size_t out = scratch_.size();
  while (s < e) {
    const char* q = static_cast<const char*>(std::memchr(s, '"', static_cast<size_t>(e - s)));
    if (q == nullptr) {
      scratch_.append(s, e);
      break;
    }
    scratch_.append(s, q + 1);
    s = q + 2;
  }
  escaped_.push_back({fields_.size(), out, scratch_.size() - out});
  fields_.emplace_back();  // made into a view of scratch_ by parse_record's finish
}

void csv_reader::check_limits(size_t pos, size_t field_size) {
  if (severity_ == severity::record_limit) return;
  if (dropped_ + pos > options_.max_record_size) {
    set_error(severity::record_limit,
              "record longer than max_record_size (" + std::to_string(options_.max_record_size) +
                  " bytes)",
              limit::record_size);
    start_discarding();
  } else if (!discarding_ && field_size > options_.max_field_size) {
    set_error(severity::field_limit,
              field_message(fields_.size() + 1, "longer than max_field_size (") +
                  std::to_string(options_.max_field_size) + " bytes)",
              limit::field_size, fields_.size());
    start_discarding();
  }
}

void csv_reader::parse_record() {
  line_ = next_line_;
  offset_ = base_offset_ + rec_;

  // Scan state, as offsets from the record start so that it survives fill().
  state st = state::field_start;
  size_t pos = 0;            // next byte to look at
  size_t field_begin = 0;    // first byte of the current field's content
  size_t quote_end = 0;      // closing quote of the current quoted field
  bool escaped = false;      // the current quoted field contains ""
  uint64_t inner_lines = 0;  // LFs inside quoted fields so far
  uint64_t quote_line = 0;   // line of the current field's opening quote

  auto finish = [&](size_t record_end, size_t terminator, bool ends_line) {
    next_ = rec_ + record_end + terminator;
    next_line_ = line_ + inner_lines + (ends_line ? 1 : 0);
    check_limits(record_end, 0);
    if (discarding_) return;
    raw_ = std::string_view(buf_ + rec_, record_end);
    for (const escaped_field& f : escaped_) {
      fields_[f.index] = std::string_view(scratch_.data() + f.begin, f.size);
    }
  };
  auto field_number = [&] { return fields_.size() + 1; };

  for (;;) {
    const char* const base = buf_ + rec_;
    const char* const end = buf_ + tail_;
    const char* p = base + pos;
    // Runs until the record is complete (return) or the bytes run out (break).
    for (;;) {
      if (st == state::field_start) {
        if (p == end) break;
        if (*p == '"') {
          quote_line = line_ + inner_lines;
          field_begin = static_cast<size_t>(p + 1 - base);
          escaped = false;
          ++p;
          st = state::quoted;
        } else {
          field_begin = static_cast<size_t>(p - base);
          st = state::unquoted;
        }
      }
      if (st == state::unquoted) {
        const char* q = detail::find_csv_special(p, end);
        if (q == end) {
          p = end;
          break;
        }
        char c = *q;
        if (c == ',') {
          push_field(field_begin, static_cast<size_t>(q - base), false);
          p = q + 1;
          st = state::field_start;
          continue;
        }
        if (c == '\n') {
          push_field(field_begin, static_cast<size_t>(q - base), false);
          finish(static_cast<size_t>(q - base), 1, true);
          return;
        }
        if (c == '\r') {
          if (q + 1 == end) {  // need the next byte to know if this is CRLF
            p = q;
            break;
          }
          if (q[1] == '\n') {
            push_field(field_begin, static_cast<size_t>(q - base), false);
            finish(static_cast<size_t>(q - base), 2, true);
            return;
          }
          p = q + 1;  // a lone CR is data
          continue;
        }
        // A quote inside an unquoted field: report it, then take it as data (lenient) so
        // one stray quote cannot swallow the following lines.
        set_error(severity::syntax,
                  field_message(field_number(), "quote inside an unquoted field"));
        p = q + 1;
        continue;
      }
      if (st == state::quoted) {
        const char* q = static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(end - p)));
        const char* stop = q != nullptr ? q : end;
        inner_lines += count_newlines(p, stop);
        if (q == nullptr || q + 1 == end) {  // at q + 1 == end: is it "" or the close?
          p = stop;
          break;
        }
        if (q[1] == '"') {
          escaped = true;
          p = q + 2;
          continue;
        }
        quote_end = static_cast<size_t>(q - base);
        p = q + 1;
        st = state::after_quote;
      }
      if (st == state::after_quote) {
        if (p == end) break;
        char c = *p;
        if (c == ',') {
          push_field(field_begin, quote_end, escaped);
          ++p;
          st = state::field_start;
          continue;
        }
        if (c == '\n') {
          push_field(field_begin, quote_end, escaped);
          finish(static_cast<size_t>(p - base), 1, true);
          return;
        }
        if (c == '\r') {
          if (p + 1 == end) break;
          if (p[1] == '\n') {
            push_field(field_begin, quote_end, escaped);
            finish(static_cast<size_t>(p - base), 2, true);
            return;
          }
        }
        // Text after the closing quote: report it, then read the whole field, quotes and
        // all, as unquoted data up to the next delimiter.
        set_error(severity::syntax,
                  field_message(field_number(), "unexpected character after a closing quote"));
        if (field_begin > 0) field_begin -= 1;  // back to the opening quote
        escaped = false;
        st = state::unquoted;
        continue;
      }
    }

    // Out of bytes in the middle of the record.
    pos = static_cast<size_t>(p - base);
    if (!eof_) {
      size_t field_size = 0;
      if (st == state::unquoted || st == state::quoted) field_size = pos - field_begin;
      if (st == state::after_quote) field_size = quote_end - field_begin;
      check_limits(pos, field_size);
      if (discarding_) {
        // Nothing of this record is kept any more: let fill() drop the scanned bytes.
        rec_ += pos;
        dropped_ += pos;
        pos = 0;
        field_begin = 0;
        quote_end = 0;
      }
      if (fill()) continue;
    }

    // End of input inside the record. fill() may have moved the buffer.
    const size_t size = tail_ - rec_;
    switch (st) {
      case state::field_start:  // after a final comma: one more, empty, field
        push_field(pos, pos, false);
        finish(pos, 0, false);
        return;
      case state::unquoted:
        push_field(field_begin, pos, false);
        finish(pos, pos < size ? 1 : 0, false);  // pos < size: a final lone CR
        return;
      case state::quoted:
        if (pos < size) {  // the last byte is the closing quote
          push_field(field_begin, pos, escaped);
          finish(pos + 1, 0, false);
          return;
        }
        set_error(severity::syntax,
                  field_message(field_number(), "unterminated quoted field (opened on line ") +
                      std::to_string(quote_line) + ")");
        push_field(field_begin, pos, escaped);
        finish(pos, 0, false);
        return;
      case state::after_quote:
        push_field(field_begin, quote_end, escaped);
        finish(pos, pos < size ? 1 : 0, false);
        return;
    }
    return;
  }
}

std::string limit_hint(csv_reader::limit which, std::string_view options_struct) {
  const char* flag = nullptr;
  const char* member = nullptr;
  switch (which) {
    case csv_reader::limit::none:
      return {};
    case csv_reader::limit::field_size:
      flag = "--max-field-bytes";
      member = "max_field_size";
      break;
    case csv_reader::limit::record_size:
      flag = "--max-record-bytes";
      member = "max_record_size";
      break;
    case csv_reader::limit::fields:
      flag = "--max-fields";
      member = "max_fields";
      break;
  }
  std::string hint = "; if such records are genuine, raise ";
  hint += flag;
  hint += " (";
  hint += options_struct;
  hint += "::";
  hint += member;
  hint += ')';
  return hint;
}

}  // namespace chanrules::io
