// Anonymous temporary files for data that outgrows memory (classify_csv's duplicate
// detection beyond csv_options::unique_memory).
//
// The file is created in a given folder and unlinked at once, so it never shows under any
// name and disappears with the process, however it ends (even SIGKILL). Appends are
// buffered; reads go through pread and may come from any offset once flush()ed.
//
// Errors (ENOSPC, EIO, ...) are io_error naming the folder.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "io/byte_stream.h"

namespace chanrules::io {

class spill_file {
 public:
  explicit spill_file(std::string folder);
  ~spill_file();
  spill_file(const spill_file&) = delete;
  spill_file& operator=(const spill_file&) = delete;

  void append(const void* data, size_t n);
  void append(std::string_view s) { append(s.data(), s.size()); }
  template <class T>
  void append_value(const T& v) {
    append(&v, sizeof v);
  }
  // Makes everything appended readable with read_at.
  void flush();
  // Bytes appended so far.
  uint64_t size() const noexcept { return size_; }
  // Reads exactly n bytes at offset (flush() first); throws io_error past the end.
  void read_at(uint64_t offset, void* data, size_t n) const;
  int fd() const noexcept { return fd_; }
  const std::string& folder() const noexcept { return folder_; }

 private:
  std::string folder_;
  int fd_ = -1;
  std::unique_ptr<char[]> buf_;
  size_t used_ = 0;
  uint64_t size_ = 0;
};

namespace detail {
// pread / pwrite of exactly n bytes at offset, retrying EINTR and short transfers; throw
// io_error naming `name`.
void pread_all(int fd, char* data, size_t n, uint64_t offset, const std::string& name);
void pwrite_all(int fd, const char* data, size_t n, uint64_t offset, const std::string& name);
}  // namespace detail

// Reads a range of a spill_file front to back through a buffer.
class spill_reader {
 public:
  spill_reader(const spill_file& file, uint64_t begin, uint64_t end);
  bool done() const noexcept { return pos_ == end_; }
  void read(void* data, size_t n);
  template <class T>
  T read_value() {
    T v;
    read(&v, sizeof v);
    return v;
  }
  std::string read_string(size_t n);

 private:
  const spill_file& file_;
  uint64_t pos_, end_;
  std::unique_ptr<char[]> buf_;
  uint64_t buf_pos_ = 0;  // file offset of buf_[0]
  size_t buf_size_ = 0;
};

}  // namespace chanrules::io
