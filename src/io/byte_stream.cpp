// Byte sources and sinks over file descriptors, stdio streams and strings (see
// byte_stream.h). All the POSIX error handling of the I/O layer lives here.
#include "io/byte_stream.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace chanrules::io {

namespace {

std::string describe(const std::string& op, const std::string& path, const std::string& detail) {
  std::string s = op;
  s += ' ';
  s += path;
  s += ": ";
  s += detail;
  return s;
}

std::string errno_text(int error_number) {
  // strerror is not thread-safe in general; strerror_r's GNU form returns the message.
  char buf[256];
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
  return std::string(strerror_r(error_number, buf, sizeof buf));
#else
  if (strerror_r(error_number, buf, sizeof buf) != 0)
    return "error " + std::to_string(error_number);
  return std::string(buf);
#endif
}

}  // namespace

io_error::io_error(std::string op, std::string path, int error_number)
    : io_error(std::move(op), std::move(path), error_number,
               error_number != 0 ? errno_text(error_number) : std::string("failed")) {}

io_error::io_error(std::string op, std::string path, int error_number, std::string detail)
    : std::runtime_error(describe(op, path, detail)),
      op_(std::move(op)),
      path_(std::move(path)),
      errno_(error_number) {}

decode_error::decode_error(std::string path, uint64_t byte_offset, std::string detail)
    : io_error("decode", std::move(path), EILSEQ,
               std::move(detail) + " at byte offset " + std::to_string(byte_offset)),
      byte_offset_(byte_offset) {}

namespace detail {

void write_all(int fd, const char* data, size_t n, const std::string& name,
               const std::atomic<bool>* cancel) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR && !(cancel && cancel->load())) continue;
      if (errno == EINTR) throw io_error("write", name, EINTR, "interrupted");
      throw io_error("write", name, errno);
    }
    if (w == 0) throw io_error("write", name, EIO, "write returned 0");
    data += w;
    n -= static_cast<size_t>(w);
  }
}

size_t read_some(int fd, char* buf, size_t n, const std::string& name,
                 const std::atomic<bool>* cancel) {
  for (;;) {
    ssize_t r = ::read(fd, buf, n);
    if (r >= 0) return static_cast<size_t>(r);
    if (errno != EINTR) throw io_error("read", name, errno);
    if (cancel && cancel->load()) throw io_error("read", name, EINTR, "interrupted");
  }
}

}  // namespace detail

fd_source::fd_source(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}

size_t fd_source::read(char* buf, size_t n) {
  return detail::read_some(fd_, buf, n, name_, cancel_);
}

file_source::file_source(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw io_error("open", path_, errno);
  // Advisory only: it doubles the kernel's read-ahead for our strictly sequential scan.
  (void)::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
}

file_source::~file_source() {
  if (fd_ >= 0) ::close(fd_);
}

size_t file_source::read(char* buf, size_t n) {
  return detail::read_some(fd_, buf, n, path_, cancel_);
}

stdio_source::stdio_source(std::FILE* file, std::string name)
    : file_(file), name_(std::move(name)) {}

size_t stdio_source::read(char* buf, size_t n) {
  size_t got = std::fread(buf, 1, n, file_);
  // A short count is either EOF or an error; only ferror tells them apart.
  if (got < n && std::ferror(file_)) {
    int e = errno;
    std::clearerr(file_);
    if (got == 0) throw io_error("read", name_, e != 0 ? e : EIO);
  }
  return got;
}

string_source::string_source(std::string data, size_t max_chunk, std::string name)
    : data_(std::move(data)), max_chunk_(max_chunk == 0 ? 1 : max_chunk), name_(std::move(name)) {}

size_t string_source::read(char* buf, size_t n) {
  size_t k = std::min({n, max_chunk_, data_.size() - pos_});
  std::memcpy(buf, data_.data() + pos_, k);
  pos_ += k;
  return k;
}

fd_sink::fd_sink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}

void fd_sink::write(const char* data, size_t n) { detail::write_all(fd_, data, n, name_, cancel_); }

}  // namespace chanrules::io
