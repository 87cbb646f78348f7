// Byte sources and sinks: the bottom of the CSV layer (src/io).
//
// The CSV reader pulls large blocks from a `byte_source`; the encoding adapters
// (encoding.h) are byte_sources wrapping other byte_sources; the CSV writer pushes its
// buffer into a `byte_sink`. Keeping this interface to one virtual call per block (not per
// byte or per record) is what lets the layers above scan in bulk.
//
// Errors: an operating-system failure (EIO, ENOSPC, EPIPE, EBADF, ...) is thrown as
// `io_error`, carrying the operation, the path (or a name such as "<stdin>") and errno,
// with what() = "<op> <path>: <strerror>". The CLI / API layer converts it to a status at
// its boundary; bad *data* is never an exception (see csv_reader.h).
//
// Thread safety: none of these classes is thread-safe; use one per thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>

namespace chanrules::io {

// An operating-system I/O failure on a named file.
class io_error : public std::runtime_error {
 public:
  // `op` is what failed ("open", "read", "write", "fsync", "rename", ...), `path` the file
  // or stream name, `error_number` the errno value (0 when there is none).
  io_error(std::string op, std::string path, int error_number);
  // Same, with a free-form explanation instead of strerror(error_number).
  io_error(std::string op, std::string path, int error_number, std::string detail);

  const std::string& op() const noexcept { return op_; }
  const std::string& path() const noexcept { return path_; }
  int error_number() const noexcept { return errno_; }

 private:
  std::string op_;
  std::string path_;
  int errno_;
};

// Input that cannot be decoded in its encoding (invalid or truncated byte sequence).
// Derives from io_error (op "decode") so a caller that only handles io_error still sees it.
class decode_error : public io_error {
 public:
  // `byte_offset` is the offset, in the undecoded input, of the first offending byte.
  decode_error(std::string path, uint64_t byte_offset, std::string detail);
  uint64_t byte_offset() const noexcept { return byte_offset_; }

 private:
  uint64_t byte_offset_;
};

// A pull-style stream of bytes.
class byte_source {
 public:
  virtual ~byte_source() = default;
  // Copies up to `n` (> 0) bytes into `buf` and returns how many were copied. Returns 0 only
  // at end of input; may return fewer than `n` before that (a short read is not EOF).
  // Throws io_error (or decode_error) on failure.
  virtual size_t read(char* buf, size_t n) = 0;
  // A name for error messages (a path, "<stdin>", "<string>").
  virtual const std::string& name() const = 0;
};

// A push-style stream of bytes.
class byte_sink {
 public:
  virtual ~byte_sink() = default;
  // Writes all `n` bytes or throws io_error.
  virtual void write(const char* data, size_t n) = 0;
  virtual const std::string& name() const = 0;
};

// Reads from a file descriptor it does not own (e.g. 0 for stdin).
class fd_source : public byte_source {
 public:
  explicit fd_source(int fd, std::string name = "<fd>");
  size_t read(char* buf, size_t n) override;
  const std::string& name() const override { return name_; }
  // See detail::read_some: a read interrupted by a signal while *cancel is set throws
  // instead of blocking on (a stalled pipe would otherwise ignore Ctrl-C).
  void set_cancel(const std::atomic<bool>* cancel) noexcept { cancel_ = cancel; }

 private:
  int fd_;
  std::string name_;
  const std::atomic<bool>* cancel_ = nullptr;
};

// Opens `path` read-only and owns the descriptor. Throws io_error if it cannot be opened.
class file_source : public byte_source {
 public:
  explicit file_source(std::string path);
  ~file_source() override;
  file_source(const file_source&) = delete;
  file_source& operator=(const file_source&) = delete;
  size_t read(char* buf, size_t n) override;
  const std::string& name() const override { return path_; }
  // As fd_source::set_cancel (the path may name a FIFO or a pipe such as <(...)).
  void set_cancel(const std::atomic<bool>* cancel) noexcept { cancel_ = cancel; }

 private:
  int fd_ = -1;
  std::string path_;
  const std::atomic<bool>* cancel_ = nullptr;
};

// Reads from a stdio stream it does not own.
class stdio_source : public byte_source {
 public:
  explicit stdio_source(std::FILE* file, std::string name = "<FILE>");
  size_t read(char* buf, size_t n) override;
  const std::string& name() const override { return name_; }

 private:
  std::FILE* file_;
  std::string name_;
};

// Serves an in-memory string (owned). `max_chunk` caps each read, so tests can force
// short reads independently of the consumer's block size.
class string_source : public byte_source {
 public:
  explicit string_source(std::string data, size_t max_chunk = SIZE_MAX,
                         std::string name = "<string>");
  size_t read(char* buf, size_t n) override;
  const std::string& name() const override { return name_; }

 private:
  std::string data_;
  size_t pos_ = 0;
  size_t max_chunk_;
  std::string name_;
};

// Writes to a file descriptor it does not own (e.g. 1 for stdout). Retries short writes
// and EINTR; anything else (EPIPE, ENOSPC, EBADF, ...) throws io_error. Note that EPIPE is
// only seen if the process ignores SIGPIPE; that is the CLI's decision, not this class's.
class fd_sink : public byte_sink {
 public:
  explicit fd_sink(int fd, std::string name = "<fd>");
  void write(const char* data, size_t n) override;
  const std::string& name() const override { return name_; }
  // See detail::write_all: a write interrupted by a signal while *cancel is set throws
  // instead of blocking on (a reader that stopped reading would otherwise ignore Ctrl-C).
  void set_cancel(const std::atomic<bool>* cancel) noexcept { cancel_ = cancel; }

 private:
  int fd_;
  std::string name_;
  const std::atomic<bool>* cancel_ = nullptr;
};

// Appends to a std::string, owned by the sink (take it with str() / release()).
class string_sink : public byte_sink {
 public:
  explicit string_sink(std::string name = "<string>") : name_(std::move(name)) {}
  void write(const char* data, size_t n) override { data_.append(data, n); }
  const std::string& name() const override { return name_; }
  const std::string& str() const noexcept { return data_; }
  std::string release() noexcept { return std::move(data_); }

 private:
  std::string data_;
  std::string name_;
};

namespace detail {
// write(2) of all of `n` bytes, retrying EINTR and short writes; throws io_error naming
// `name`. Shared by fd_sink and atomic_file_writer. When `cancel` is given and set after an
// EINTR, throws io_error (op "write", errno EINTR, "interrupted") instead of retrying.
void write_all(int fd, const char* data, size_t n, const std::string& name,
               const std::atomic<bool>* cancel = nullptr);
// read(2) retrying EINTR; throws io_error naming `name`. When `cancel` is given and set
// after an EINTR, throws io_error (op "read", errno EINTR, "interrupted") instead: a signal
// handler that sets the flag (installed without SA_RESTART, as the CLI does) thus ends a
// read blocked on a pipe. A signal landing just before the read(2) call is only seen by the
// next signal or the next byte: the usual limit of flag-and-EINTR cancellation.
size_t read_some(int fd, char* buf, size_t n, const std::string& name,
                 const std::atomic<bool>* cancel = nullptr);
}  // namespace detail

}  // namespace chanrules::io
