// render_graph() / write_graph(): the decision graph as DOT, or as SVG / PNG through
// Graphviz's `dot` (see include/chanrules/graph.h). Called by `chanrules graph`.
//
// `dot` is run with posix_spawnp and an argument vector, never through a shell, so nothing
// in a path or a rule set can become a command. Its standard input is a memfd holding the
// DOT text (a file, not a pipe: writing to a pipe whose reader died would raise SIGPIPE in
// the caller's process); its standard output and error are pipes read with poll(), both at
// once, so a chatty `dot` cannot fill one pipe while we wait on the other.
#include <chanrules/coverage.h>
#include <chanrules/graph.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#include "compile/program.h"
#include "graph/decision_graph.h"
#include "io/byte_stream.h"
#include "io/csv_writer.h"

extern char** environ;

namespace chanrules {

namespace {

// Closes a descriptor when it goes out of scope.
struct fd_guard {
  int fd = -1;
  explicit fd_guard(int f = -1) : fd(f) {}
  ~fd_guard() { reset(); }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

struct spawn_guard {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  spawn_guard() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~spawn_guard() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

// The last lines of what `dot` said on standard error, for the message.
std::string tail_lines(const std::string& text, size_t max_lines) {
  std::vector<std::string> lines;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(line);
    begin = end + 1;
  }
  std::string out;
  size_t first = lines.size() > max_lines ? lines.size() - max_lines : 0;
  for (size_t i = first; i < lines.size(); ++i) out += (out.empty() ? "" : "; ") + lines[i];
  return out;
}

std::string describe_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

// Runs `argv` with `input` on its standard input; fills `out` and returns "" on success
// (exit code 0), or says why not.
std::string run_program(const std::vector<std::string>& argv, std::string_view input,
                        uint32_t timeout_seconds, std::string& out) {
  const std::string command = describe_command(argv);
  fd_guard in(::memfd_create("chanrules-dot-input", MFD_CLOEXEC));
  if (in.fd < 0) return "cannot make the input of '" + command + "': " + std::strerror(errno);
  try {
    io::detail::write_all(in.fd, input.data(), input.size(), "<dot input>");
  } catch (const std::exception& e) {
    return e.what();
  }
  if (::lseek(in.fd, 0, SEEK_SET) != 0)
    return "cannot rewind the input of '" + command + "': " + std::strerror(errno);

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    return "cannot make a pipe for '" + command + "': " + std::strerror(errno);
  fd_guard out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0)
    return "cannot make a pipe for '" + command + "': " + std::strerror(errno);
  fd_guard err_read(err_pipe[0]), err_write(err_pipe[1]);

  spawn_guard spawn;
  // dup2 clears close-on-exec on the copies, so the child keeps exactly 0, 1 and 2.
  posix_spawn_file_actions_adddup2(&spawn.actions, in.fd, 0);
  posix_spawn_file_actions_adddup2(&spawn.actions, out_write.fd, 1);
  posix_spawn_file_actions_adddup2(&spawn.actions, err_write.fd, 2);
  // The caller may ignore SIGPIPE or SIGXFSZ, or catch SIGINT; dot gets the default
  // disposition of every signal and an empty signal mask, as if started from a shell.
  sigset_t defaults, empty;
  sigemptyset(&defaults);
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) sigaddset(&defaults, sig);
  sigemptyset(&empty);
  posix_spawnattr_setsigdefault(&spawn.attr, &defaults);
  posix_spawnattr_setsigmask(&spawn.attr, &empty);
  posix_spawnattr_setflags(&spawn.attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], &spawn.actions, &spawn.attr, args.data(), environ);
  if (rc == ENOENT)
    return "Graphviz's '" + argv[0] + "' program was not found" +
           (argv[0].find('/') == std::string::npos ? " in PATH" : "") +
           "; install Graphviz (the graphviz package; scripts/setup.sh installs it) or write "
           "DOT instead";
  if (rc != 0) return "cannot run '" + command + "': " + std::strerror(rc);
  // Only the child writes to the pipes now: without our copies, EOF comes when it exits.
  out_write.reset();
  err_write.reset();
  in.reset();

  std::string err;
  std::string problem;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  constexpr size_t kMaxOutput = size_t{1} << 30;  // far beyond any rule set's picture
  char buf[65536];
  while (out_read.fd >= 0 || err_read.fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      problem = "'" + command + "' did not finish within " + std::to_string(timeout_seconds) +
                " s and was stopped";
      break;
    }
    pollfd fds[2] = {{out_read.fd, POLLIN, 0}, {err_read.fd, POLLIN, 0}};
    int n = ::poll(fds, 2, static_cast<int>(std::min<long long>(left, 1000)));
    if (n < 0) {
      if (errno == EINTR) continue;
      problem = std::string("poll: ") + std::strerror(errno);
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {
        (i == 0 ? out_read : err_read).reset();
        continue;
      }
      std::string& dest = i == 0 ? out : err;
      // Standard error only matters for its last lines.
      if (i == 1 && dest.size() > 65536) dest.erase(0, dest.size() - 32768);
      dest.append(buf, static_cast<size_t>(got));
    }
    if (out.size() > kMaxOutput) {
      problem = "'" + command + "' wrote more than 1 GiB";
      break;
    }
  }
  if (!problem.empty()) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      if (problem.empty()) problem = std::string("waitpid: ") + std::strerror(errno);
      return problem;
    }
  }
  if (!problem.empty()) return problem;
  std::string said = tail_lines(err, 5);
  if (WIFSIGNALED(status))
    return "'" + command + "' was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")" + (said.empty() ? "" : ": " + said);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return "'" + command + "' failed with exit code " + std::to_string(WEXITSTATUS(status)) +
           (said.empty() ? "" : ": " + said);
  if (out.empty()) return "'" + command + "' wrote nothing" + (said.empty() ? "" : ": " + said);
  return "";
}

// The DOT text: the plain graph, or the graph with a coverage's evidence.
std::string dot_of(const rule_set& rules, const graph_render_options& options) {
  if (!options.coverage) return rules.graph_dot();
  std::string why;
  if (!options.coverage->matches(rules, &why))
    throw std::runtime_error("the coverage is not for this rule set: " + why);
  detail::graph_evidence e;
  e.records = options.coverage->records();
  for (const decision_coverage& d : options.coverage->decisions()) {
    detail::graph_evidence::decision& ed = e.decisions.emplace_back();
    ed.rows = d.rows;
    ed.by_default = d.by_default;
    ed.no_outcome = d.no_outcome;
    for (const rule_coverage& r : d.rules) ed.rules.push_back({r.matched, r.won});
  }
  return detail::to_dot(rules.program()->m, e);
}

}  // namespace

std::optional<graph_format> parse_graph_format(std::string_view name) {
  if (name == "dot") return graph_format::dot;
  if (name == "svg") return graph_format::svg;
  if (name == "png") return graph_format::png;
  return std::nullopt;
}

graph_render_result render_graph(const rule_set& rules, graph_format format,
                                 const graph_render_options& options) {
  graph_render_result r;
  try {
    std::string dot = dot_of(rules, options);
    if (format == graph_format::dot) {
      r.bytes = std::move(dot);
      r.ok = true;
      return r;
    }
    if (options.dot_program.empty()) {
      r.error = "no Graphviz program named";
      return r;
    }
    std::vector<std::string> argv = {options.dot_program,
                                     format == graph_format::svg ? "-Tsvg" : "-Tpng"};
    r.error = run_program(argv, dot, options.timeout_seconds, r.bytes);
    r.ok = r.error.empty();
    if (!r.ok) r.bytes.clear();
  } catch (const std::exception& e) {
    r.ok = false;
    r.error = e.what();
    r.bytes.clear();
  }
  return r;
}

graph_render_result write_graph(const rule_set& rules, graph_format format, const std::string& path,
                                const graph_render_options& options) {
  graph_render_result r;
  struct stat st;
  if (path != "-" && ::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    // Renaming a temporary over it would replace a link, device or pipe with a file.
    r.error = path + " exists and is not a regular file; name a file, or '-' for standard output";
    return r;
  }
  r = render_graph(rules, format, options);
  if (!r.ok) return r;
  try {
    if (path == "-") {
      io::fd_sink sink(1, "<stdout>");
      sink.write(r.bytes.data(), r.bytes.size());
    } else {
      io::atomic_file_writer file(path);
      file.write(r.bytes.data(), r.bytes.size());
      file.commit();
    }
  } catch (const std::exception& e) {
    r.ok = false;
    r.error = e.what();
  }
  r.bytes.clear();
  return r;
}

}  // namespace chanrules
