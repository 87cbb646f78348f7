// Path confinement and whole-file reads for rule-set files.
#include "common/paths.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace chanrules::detail {

namespace fs = std::filesystem;

std::optional<std::string> resolve_inside(const std::string& base_dir, const std::string& relative,
                                          bool allow_outside, std::string& why) {
  if (relative.empty()) {
    why = "the path is empty";
    return std::nullopt;
  }
  fs::path rel(relative);
  if (!allow_outside) {
    if (rel.is_absolute() || relative[0] == '/' || relative[0] == '\\') {
      why = "absolute paths are refused; name a file inside the rule set's folder";
      return std::nullopt;
    }
    for (const auto& part : rel)
      if (part == "..") {
        why = "'..' is refused; name a file inside the rule set's folder";
        return std::nullopt;
      }
  }
  fs::path full = rel.is_absolute() ? rel : fs::path(base_dir.empty() ? "." : base_dir) / rel;
  if (!allow_outside) {
    std::error_code ec;
    fs::path base_real = fs::weakly_canonical(base_dir.empty() ? "." : base_dir, ec);
    fs::path full_real = fs::weakly_canonical(full, ec);
    if (ec) {
      why = ec.message();
      return std::nullopt;
    }
    auto b = base_real.begin();
    auto f = full_real.begin();
    for (; b != base_real.end(); ++b, ++f) {
      if (f == full_real.end() || *b != *f) {
        why = "the path leads outside the rule set's folder (through a symbolic link)";
        return std::nullopt;
      }
    }
  }
  return full.string();
}

std::optional<std::string> read_file(const std::string& path, std::string& why, size_t max_bytes) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    why = "it is a directory";
    return std::nullopt;
  }
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    why = std::strerror(errno);
    return std::nullopt;
  }
  std::string out;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    out.append(buf, n);
    if (out.size() > max_bytes) {
      std::fclose(f);
      why = "the file is larger than " + std::to_string(max_bytes) + " bytes";
      return std::nullopt;
    }
  }
  bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) {
    why = "read error";
    return std::nullopt;
  }
  return out;
}

}  // namespace chanrules::detail
