// Tests of render_graph / write_graph (include/chanrules/graph.h): DOT from the library,
// SVG and PNG through Graphviz's dot, and every way running dot can go wrong (missing,
// failing, killed, hanging, flooding both pipes). Fake `dot` programs are small shell
// scripts written into a temporary directory.
#include <chanrules/graph.h>
#include <chanrules/rule_set.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace chanrules {
namespace {

const std::string kRoot = CHANRULES_SOURCE_DIR;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct temp_dir {
  std::string path;
  temp_dir() {
    std::string pattern = std::filesystem::temp_directory_path().string() + "/graph_test.XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    path = ::mkdtemp(buf.data());
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
  // An executable shell script.
  std::string script(const std::string& name, const std::string& body) const {
    std::string p = *this / name;
    std::ofstream(p) << "#!/bin/sh\n" << body;
    ::chmod(p.c_str(), 0755);
    return p;
  }
};

bool have_dot() { return ::system("command -v dot >/dev/null 2>&1") == 0; }

class graph_render : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    load_result r = rule_set::load(kRoot + "/rules/channel-2009");
    ASSERT_TRUE(r.ok());
    rules_ = r.rules;
  }
  static void TearDownTestSuite() { rules_.reset(); }
  static std::shared_ptr<const rule_set> rules_;
};
std::shared_ptr<const rule_set> graph_render::rules_;

TEST(graph_format_names, parse) {
  EXPECT_EQ(parse_graph_format("dot"), graph_format::dot);
  EXPECT_EQ(parse_graph_format("svg"), graph_format::svg);
  EXPECT_EQ(parse_graph_format("png"), graph_format::png);
  EXPECT_FALSE(parse_graph_format("SVG"));
  EXPECT_FALSE(parse_graph_format(""));
  EXPECT_FALSE(parse_graph_format("gif"));
}

TEST_F(graph_render, dot_is_the_rule_sets_graph) {
  graph_render_options no_dot;
  no_dot.dot_program = "/nonexistent/dot";  // DOT never needs the program
  auto r = render_graph(*rules_, graph_format::dot, no_dot);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.bytes, rules_->graph_dot());
}

TEST_F(graph_render, svg_and_png_through_graphviz) {
  if (!have_dot()) GTEST_SKIP() << "Graphviz's dot is not installed (scripts/setup.sh installs it)";
  auto svg = render_graph(*rules_, graph_format::svg);
  ASSERT_TRUE(svg.ok) << svg.error;
  EXPECT_EQ(svg.bytes.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.bytes.find("samsung_class"), std::string::npos);
  EXPECT_NE(svg.bytes.find("</svg>"), std::string::npos);
  // The picture in the docs is this very output.
  EXPECT_EQ(svg.bytes, slurp(kRoot + "/docs/images/channel-2009-graph.svg"));
  auto png = render_graph(*rules_, graph_format::png);
  ASSERT_TRUE(png.ok) << png.error;
  EXPECT_EQ(png.bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
}

TEST_F(graph_render, dot_program_missing) {
  graph_render_options o;
  o.dot_program = "chanrules-no-such-dot-program";
  auto r = render_graph(*rules_, graph_format::svg, o);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.bytes.empty());
  EXPECT_EQ(r.error,
            "Graphviz's 'chanrules-no-such-dot-program' program was not found in PATH; install "
            "Graphviz (the graphviz package; scripts/setup.sh installs it) or write DOT instead");
  o.dot_program = "/nonexistent/dot";
  r = render_graph(*rules_, graph_format::svg, o);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.find("Graphviz's '/nonexistent/dot' program was not found;"), 0u) << r.error;
}

TEST_F(graph_render, dot_program_fails) {
  temp_dir dir;
  graph_render_options o;
  o.dot_program = dir.script("dot",
                             "cat >/dev/null\necho 'Warning: noise' >&2\n"
                             "echo 'Error: <stdin>: syntax error in line 3' >&2\nexit 3\n");
  auto r = render_graph(*rules_, graph_format::png, o);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "'" + o.dot_program +
                         " -Tpng' failed with exit code 3: Warning: noise; Error: <stdin>: "
                         "syntax error in line 3");
}

TEST_F(graph_render, dot_program_killed_or_silent) {
  temp_dir dir;
  graph_render_options o;
  o.dot_program = dir.script("dot", "kill -SEGV $$\n");
  auto r = render_graph(*rules_, graph_format::svg, o);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("was killed by signal 11"), std::string::npos) << r.error;
  o.dot_program = dir.script("quiet", "cat >/dev/null\nexit 0\n");
  r = render_graph(*rules_, graph_format::svg, o);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "'" + o.dot_program + " -Tsvg' wrote nothing");
}

// A caller that ignores SIGPIPE or SIGXFSZ (as the CLI does) must not pass that on: dot
// starts with every signal at its default, so either signal kills it as from a shell.
TEST_F(graph_render, signals_are_reset_for_dot) {
  temp_dir dir;
  for (auto [sig, name] : {std::pair{SIGPIPE, "PIPE"}, std::pair{SIGXFSZ, "XFSZ"}}) {
    graph_render_options o;
    o.dot_program = dir.script(std::string("dot-") + name, std::string("cat >/dev/null\nkill -") +
                                                               name + " $$\necho survived\n");
    auto previous = ::signal(sig, SIG_IGN);
    auto r = render_graph(*rules_, graph_format::svg, o);
    ::signal(sig, previous);
    EXPECT_FALSE(r.ok) << name;
    EXPECT_NE(r.error.find("was killed by signal " + std::to_string(sig)), std::string::npos)
        << r.error;
  }
}

TEST_F(graph_render, hanging_dot_is_stopped) {
  temp_dir dir;
  graph_render_options o;
  o.dot_program = dir.script("dot", "exec sleep 30\n");
  o.timeout_seconds = 1;
  auto started = std::chrono::steady_clock::now();
  auto r = render_graph(*rules_, graph_format::svg, o);
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "'" + o.dot_program + " -Tsvg' did not finish within 1 s and was stopped");
  EXPECT_LT(took, std::chrono::seconds(10));
}

// A program that writes a lot to standard error before and while writing standard output:
// both pipes must be drained at once, or each side would wait for the other forever.
TEST_F(graph_render, both_pipes_are_drained) {
  temp_dir dir;
  graph_render_options o;
  o.dot_program = dir.script("dot",
                             "cat >/dev/null\n"
                             "head -c 300000 /dev/zero | tr '\\0' e >&2\n"
                             "head -c 300000 /dev/zero | tr '\\0' o\n"
                             "head -c 300000 /dev/zero | tr '\\0' e >&2\n");
  o.timeout_seconds = 20;
  auto r = render_graph(*rules_, graph_format::svg, o);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.bytes, std::string(300000, 'o'));
}

// The program receives exactly the DOT text on its standard input, and its arguments as
// given (no shell: a program path with a space and a quote is run as it is).
TEST_F(graph_render, input_and_arguments) {
  temp_dir dir;
  graph_render_options o;
  o.dot_program = dir.script("it's a dot", "printf '%s|' \"$@\"\ncat\n");
  auto r = render_graph(*rules_, graph_format::svg, o);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.bytes, "-Tsvg|" + rules_->graph_dot());
}

TEST_F(graph_render, write_graph_is_atomic) {
  temp_dir dir;
  std::string out = dir / "graph.svg";
  std::ofstream(out) << "old picture\n";
  graph_render_options o;
  o.dot_program = dir.script("dot", "echo partial\nexit 1\n");
  auto r = write_graph(*rules_, graph_format::svg, out, o);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(slurp(out), "old picture\n");
  o.dot_program = dir.script("good", "cat >/dev/null\necho '<svg/>'\n");
  r = write_graph(*rules_, graph_format::svg, out, o);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.bytes.empty());
  EXPECT_EQ(slurp(out), "<svg/>\n");
  r = write_graph(*rules_, graph_format::dot, dir / "graph.dot");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(slurp(dir / "graph.dot"), rules_->graph_dot());
  // A directory (or any non-regular file) under the name is refused, not replaced.
  ::mkdir((dir / "sub").c_str(), 0755);
  r = write_graph(*rules_, graph_format::dot, dir / "sub");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("exists and is not a regular file"), std::string::npos);
  // No temporary file is left behind.
  size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path)) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 5u);  // graph.svg dot good graph.dot sub
}

}  // namespace
}  // namespace chanrules
