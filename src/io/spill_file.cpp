// Anonymous temporary files (see spill_file.h).
#include "io/spill_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace chanrules::io {

namespace {
constexpr size_t buffer_size = size_t{64} << 10;
}

namespace detail {

void pread_all(int fd, char* data, size_t n, uint64_t offset, const std::string& name) {
  while (n > 0) {
    ssize_t r = ::pread(fd, data, n, static_cast<off_t>(offset));
    if (r < 0) {
      if (errno == EINTR) continue;
      throw io_error("read", name, errno);
    }
    if (r == 0) throw io_error("read", name, EIO, "unexpected end of file");
    data += r;
    n -= static_cast<size_t>(r);
    offset += static_cast<uint64_t>(r);
  }
}

void pwrite_all(int fd, const char* data, size_t n, uint64_t offset, const std::string& name) {
  while (n > 0) {
    ssize_t w = ::pwrite(fd, data, n, static_cast<off_t>(offset));
    if (w < 0) {
      if (errno == EINTR) continue;
      throw io_error("write", name, errno);
    }
    if (w == 0) throw io_error("write", name, EIO, "write returned 0");
    data += w;
    n -= static_cast<size_t>(w);
    offset += static_cast<uint64_t>(w);
  }
}

}  // namespace detail

spill_file::spill_file(std::string folder) : folder_(std::move(folder)) {
  std::string pattern = folder_ + "/.chanrules-spill.XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  fd_ = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd_ < 0) throw io_error("create a temporary file in", folder_, errno);
  ::unlink(name.data());  // nameless from now on: nothing to clean up, whatever happens
  buf_ = std::make_unique_for_overwrite<char[]>(buffer_size);
}

spill_file::~spill_file() {
  if (fd_ >= 0) ::close(fd_);
}

void spill_file::append(const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  size_ += n;
  while (n > 0) {
    if (used_ == buffer_size) flush();
    size_t k = std::min(n, buffer_size - used_);
    std::memcpy(buf_.get() + used_, p, k);
    used_ += k;
    p += k;
    n -= k;
  }
}

void spill_file::flush() {
  if (used_ == 0) return;
  size_t n = used_;
  used_ = 0;
  detail::write_all(fd_, buf_.get(), n, "a temporary file in " + folder_);
}

void spill_file::read_at(uint64_t offset, void* data, size_t n) const {
  detail::pread_all(fd_, static_cast<char*>(data), n, offset, "a temporary file in " + folder_);
}

spill_reader::spill_reader(const spill_file& file, uint64_t begin, uint64_t end)
    : file_(file), pos_(begin), end_(end) {
  buf_ = std::make_unique_for_overwrite<char[]>(buffer_size);
  buf_pos_ = begin;
}

void spill_reader::read(void* data, size_t n) {
  if (n > end_ - pos_)
    throw io_error("read a temporary file in", file_.folder(), EIO, "record past the end");
  char* p = static_cast<char*>(data);
  while (n > 0) {
    if (pos_ >= buf_pos_ + buf_size_) {
      buf_pos_ = pos_;
      buf_size_ = static_cast<size_t>(std::min<uint64_t>(buffer_size, end_ - pos_));
      file_.read_at(buf_pos_, buf_.get(), buf_size_);
    }
    size_t at = static_cast<size_t>(pos_ - buf_pos_);
    size_t k = std::min(n, buf_size_ - at);
    std::memcpy(p, buf_.get() + at, k);
    p += k;
    n -= k;
    pos_ += k;
  }
}

std::string spill_reader::read_string(size_t n) {
  std::string s(n, '\0');
  read(s.data(), n);
  return s;
}

}  // namespace chanrules::io
