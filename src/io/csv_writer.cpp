// Buffered RFC 4180 writer and the write-to-temp-then-rename output file (see csv_writer.h).
#include "io/csv_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include "common/source.h"
#include "io/csv_scan.h"

namespace chanrules::io {

namespace {

bool needs_excel_guard(std::string_view field) {
  if (field.empty()) return false;
  switch (field.front()) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
      return true;
    default:
      return false;
  }
}

std::string directory_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

// ---- csv_writer ----

csv_writer::csv_writer(byte_sink& sink, csv_writer_options options)
    : sink_(sink), options_(options), cap_(std::max<size_t>(options.buffer_size, 16)) {
  buf_ = std::make_unique_for_overwrite<char[]>(cap_);
}

csv_writer::~csv_writer() {
  try {
    flush();
  } catch (...) {  // NOLINT(bugprone-empty-catch): documented best effort
  }
}

void csv_writer::flush_buffer() {
  if (len_ == 0) return;
  // Clear first: if the sink throws, the bytes are lost either way and a retry from the
  // destructor must not write them twice.
  size_t n = len_;
  len_ = 0;
  sink_.write(buf_.get(), n);
}

void csv_writer::flush() { flush_buffer(); }

void csv_writer::put(const char* data, size_t n) {
  bytes_ += n;
  if (n <= cap_ - len_) {
    std::memcpy(buf_.get() + len_, data, n);
    len_ += n;
    return;
  }
  flush_buffer();
  if (n >= cap_) {  // too big to be worth copying: straight to the sink
    sink_.write(data, n);
    return;
  }
  std::memcpy(buf_.get(), data, n);
  len_ = n;
}

void csv_writer::begin_field() {
  if (fields_in_record_++ > 0) {
    put_char(',');
    record_has_bytes_ = true;
  }
}

void csv_writer::write_field(std::string_view field) {
  begin_field();
  if (field.empty()) return;
  record_has_bytes_ = true;
  const bool guard = options_.excel_safe && needs_excel_guard(field);
  const char* first = field.data();
  const char* last = first + field.size();
  const char* special = detail::find_csv_special(first, last);
  if (special == last) {
    if (guard) put_char('\'');
    put(first, field.size());
    return;
  }
  put_char('"');
  if (guard) put_char('\'');
  // Copy up to and including each quote, then double it.
  const char* p = first;
  for (;;) {
    const char* q = static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(last - p)));
    if (q == nullptr) {
      put(p, static_cast<size_t>(last - p));
      break;
    }
    put(p, static_cast<size_t>(q + 1 - p));
    put_char('"');
    p = q + 1;
  }
  put_char('"');
}

void csv_writer::write_raw_fields(std::string_view csv_text) {
  begin_field();
  if (!csv_text.empty()) record_has_bytes_ = true;
  put(csv_text.data(), csv_text.size());
}

void csv_writer::end_record() {
  if (!record_has_bytes_) put("\"\"", 2);
  put_char('\n');
  fields_in_record_ = 0;
  record_has_bytes_ = false;
  ++records_;
}

void csv_writer::write_record(std::span<const std::string_view> fields) {
  for (std::string_view f : fields) write_field(f);
  end_record();
}

void csv_writer::write_record(std::span<const std::string> fields) {
  for (const std::string& f : fields) write_field(f);
  end_record();
}

void csv_writer::write_record(std::initializer_list<std::string_view> fields) {
  for (std::string_view f : fields) write_field(f);
  end_record();
}

void append_csv_field(std::string& out, std::string_view field, bool excel_safe) {
  if (field.empty()) return;
  const bool guard = excel_safe && needs_excel_guard(field);
  const char* first = field.data();
  const char* last = first + field.size();
  if (detail::find_csv_special(first, last) == last) {
    if (guard) out += '\'';
    out.append(field);
    return;
  }
  out += '"';
  if (guard) out += '\'';
  const char* p = first;
  for (;;) {
    const char* q = static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(last - p)));
    if (q == nullptr) {
      out.append(p, last);
      break;
    }
    out.append(p, q + 1);
    out += '"';
    p = q + 1;
  }
  out += '"';
}

// One JSON escaper for the whole library (common/source.h).
void append_json_string(std::string& out, std::string_view text) {
  chanrules::detail::append_json_string(out, text);
}

// ---- atomic_file_writer ----

atomic_file_writer::atomic_file_writer(std::string target, unsigned permissions)
    : target_(std::move(target)) {
  std::string pattern = target_ + ".tmp.XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  fd_ = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd_ < 0) throw io_error("create temporary file for", target_, errno);
  temp_.assign(name.data());
  // mkstemp creates 0600; the output should get ordinary file permissions.
  if (::fchmod(fd_, static_cast<mode_t>(permissions)) != 0) {
    int e = errno;
    abandon();
    throw io_error("chmod", temp_, e);
  }
}

atomic_file_writer::~atomic_file_writer() {
  if (!committed_) abandon();
}

void atomic_file_writer::write(const char* data, size_t n) {
  if (fd_ < 0) {
    throw io_error("write", target_, EBADF,
                   committed_ ? "file already committed" : "file abandoned");
  }
  detail::write_all(fd_, data, n, target_);
}

void atomic_file_writer::commit() {
  if (fd_ < 0) {
    throw io_error("commit", target_, EBADF,
                   committed_ ? "file already committed" : "file abandoned");
  }
  // fsync before rename: otherwise a crash can leave the new name pointing at an empty or
  // partial file (the rename reaches the disk before the data).
  if (::fsync(fd_) != 0) {
    int e = errno;
    abandon();
    throw io_error("fsync", target_, e);
  }
  // close() can report a deferred write error (NFS); it must be checked too.
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    int e = errno;
    ::unlink(temp_.c_str());
    throw io_error("close", target_, e);
  }
  if (::rename(temp_.c_str(), target_.c_str()) != 0) {
    int e = errno;
    ::unlink(temp_.c_str());
    throw io_error("rename " + temp_ + " to", target_, e);
  }
  committed_ = true;
  // Make the rename itself durable. Some filesystems cannot fsync a directory (EINVAL):
  // nothing more can be done there, so that is not an error.
  std::string dir = directory_of(target_);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) throw io_error("open directory", dir, errno);
  int rc = ::fsync(dfd);
  int e = errno;
  ::close(dfd);
  if (rc != 0 && e != EINVAL && e != ENOTSUP) throw io_error("fsync directory", dir, e);
}

void atomic_file_writer::truncate(uint64_t size) {
  if (fd_ < 0) throw io_error("truncate", target_, EBADF, "file already committed or abandoned");
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) throw io_error("truncate", target_, errno);
  if (::lseek(fd_, static_cast<off_t>(size), SEEK_SET) < 0) throw io_error("seek", target_, errno);
}

void atomic_file_writer::abandon() noexcept {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
    ::unlink(temp_.c_str());
  }
}

}  // namespace chanrules::io
