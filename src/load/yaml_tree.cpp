// Strict YAML tree from yaml-cpp parser events (see yaml_tree.h for why).
#include "load/yaml_tree.h"

#include <yaml-cpp/anchor.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <cstdio>
#include <sstream>
#include <unordered_map>

#include "io/encoding.h"

namespace chanrules::detail {

const char* to_string(ynode_kind kind) {
  switch (kind) {
    case ynode_kind::null:
      return "nothing";
    case ynode_kind::scalar:
      return "a single value";
    case ynode_kind::sequence:
      return "a list";
    case ynode_kind::map:
      return "a mapping";
  }
  return "?";
}

namespace {

const char* const kAliasMessage = "YAML aliases (*name) are not allowed in a rule set";
const char* const kAliasHint =
    "write the value out in full; anchors and aliases hide what a rule really says";

size_t bom_size(std::string_view text) { return text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0; }

// Thrown from inside the event handler to abandon parsing; carries a ready diagnostic.
struct abandon_parse {
  diagnostic d;
};

class tree_builder : public YAML::EventHandler {
 public:
  tree_builder(const source_ptr& file, const yaml_limits& limits) : file_(file), limits_(limits) {}

  std::optional<ynode> root;

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    check_anchor(mark, anchor);
    ynode n;
    n.kind = ynode_kind::null;
    n.offset = offset_of(mark);
    add(std::move(n));
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    fail(mark, "E-yaml-alias", kAliasMessage, kAliasHint);
  }

  void OnAnchor(const YAML::Mark& mark, const std::string&) override {
    fail(mark, "E-yaml-anchor", "YAML anchors (&name) are not allowed in a rule set",
         "write the value out in full where it is used");
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    check_anchor(mark, anchor);
    check_tag(mark, tag);
    ynode n;
    n.kind = ynode_kind::scalar;
    n.offset = offset_of(mark);
    n.plain = tag != "!";
    n.text = value;
    add(std::move(n));
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, tag, anchor, ynode_kind::sequence);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, tag, anchor, ynode_kind::map);
  }
  void OnMapEnd() override { close(); }

  // yaml-cpp counts positions after a UTF-8 byte order mark; the source offsets include it.
  size_t offset_of(const YAML::Mark& mark) const {
    return mark.pos < 0 ? 0
                        : std::min<size_t>(static_cast<size_t>(mark.pos) + bom_size(file_->text()),
                                           file_->text().size());
  }
  // The mark that offset_of() turns back into `offset` (a node's recorded position).
  YAML::Mark mark_at(size_t offset) const {
    YAML::Mark mark;
    mark.pos = static_cast<int>(offset - std::min(offset, bom_size(file_->text())));
    return mark;
  }

  [[noreturn]] void fail(const YAML::Mark& mark, const char* code, std::string message,
                         std::string hint = {}) const {
    throw abandon_parse{make_diagnostic(severity::error, code, source_pos{file_, offset_of(mark)},
                                        std::move(message), std::move(hint))};
  }

 private:
  void check_anchor(const YAML::Mark& mark, YAML::anchor_t anchor) const {
    if (anchor != YAML::NullAnchor)
      fail(mark, "E-yaml-anchor", "YAML anchors (&name) are not allowed in a rule set",
           "write the value out in full where it is used");
  }

  void check_tag(const YAML::Mark& mark, const std::string& tag) const {
    if (!tag.empty() && tag != "?" && tag != "!")
      fail(mark, "E-yaml-tag", "YAML tags (" + tag + ") are not allowed in a rule set",
           "remove the tag; chanrules reads each value by the type its key expects");
  }

  void open(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
            ynode_kind kind) {
    check_anchor(mark, anchor);
    check_tag(mark, tag);
    if (stack_.size() >= limits_.max_depth)
      fail(mark, "E-yaml-depth",
           "the YAML nests deeper than " + std::to_string(limits_.max_depth) + " levels",
           "a rule set needs only a few levels; this looks like a damaged or hostile file");
    ynode n;
    n.kind = kind;
    n.offset = offset_of(mark);
    count(mark);
    stack_.push_back(std::move(n));
  }

  void close() {
    ynode n = std::move(stack_.back());
    stack_.pop_back();
    attach(std::move(n));
  }

  void add(ynode n) {
    count(mark_at(n.offset));
    attach(std::move(n));
  }

  void count(const YAML::Mark& mark) {
    if (++nodes_ > limits_.max_nodes)
      fail(mark, "E-yaml-size",
           "the YAML holds more than " + std::to_string(limits_.max_nodes) + " nodes");
  }

  void attach(ynode n) {
    if (stack_.empty()) {
      root = std::move(n);
      return;
    }
    ynode& parent = stack_.back();
    if (parent.kind == ynode_kind::map && parent.children.size() % 2 == 0) {
      // n is a key.
      YAML::Mark mark = mark_at(n.offset);
      if (n.kind != ynode_kind::scalar)
        fail(mark, "E-yaml-key",
             "a mapping key must be a plain name, not " + std::string(to_string(n.kind)));
      if (n.plain && n.text == "<<")
        fail(mark, "E-yaml-merge", "YAML merge keys (<<) are not allowed in a rule set",
             "write the merged keys out in full");
      for (size_t i = 0; i < parent.children.size(); i += 2) {
        if (parent.children[i].text == n.text) {
          source_location first = file_->location_of(parent.children[i].offset);
          fail(mark, "E-yaml-duplicate-key",
               "duplicate key '" + n.text + "' (first at line " + std::to_string(first.line) + ")",
               "YAML would silently keep only one of them; remove or rename one");
        }
      }
    }
    parent.children.push_back(std::move(n));
  }

  source_ptr file_;
  yaml_limits limits_;
  std::vector<ynode> stack_;
  size_t nodes_ = 0;
};

// yaml-cpp 0.7 can hang when asked for a second document of some inputs (LoadAll on ","),
// so we never ask: a document marker after the first document's content is refused by a
// plain scan of the text instead.
std::optional<size_t> find_second_document(std::string_view text) {
  bool content_seen = false;
  size_t pos = bom_size(text);
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto is_marker = [&](std::string_view m) {
      return line.substr(0, 3) == m && (line.size() == 3 || line[3] == ' ' || line[3] == '\t');
    };
    if (is_marker("---")) {
      if (content_seen) return pos;
      content_seen = line.find_first_not_of(" \t", 3) != std::string_view::npos &&
                     line[line.find_first_not_of(" \t", 3)] != '#';
    } else if (is_marker("...")) {
      // The end of the document: anything but comments after it is a second document.
      size_t rest = end + 1;
      if (rest < text.size() &&
          text.substr(rest).find_first_not_of(" \t\r\n") != std::string_view::npos) {
        // Allow trailing comments only.
        std::string_view tail = text.substr(rest);
        bool only_comments = true;
        size_t p = 0;
        while (p < tail.size()) {
          size_t e = tail.find('\n', p);
          if (e == std::string_view::npos) e = tail.size();
          std::string_view l = tail.substr(p, e - p);
          size_t first = l.find_first_not_of(" \t\r");
          if (first != std::string_view::npos && l[first] != '#') only_comments = false;
          p = e + 1;
        }
        if (!only_comments) return pos;
      }
      return std::nullopt;
    } else if (!line.empty()) {
      size_t first = line.find_first_not_of(" \t");
      if (first != std::string_view::npos && line[first] != '#' && line[0] != '%')
        content_seen = true;
    }
    if (end == text.size()) break;
    pos = end + 1;
  }
  return std::nullopt;
}

}  // namespace

std::optional<ynode> parse_yaml(const source_ptr& file, const yaml_limits& limits,
                                std::vector<diagnostic>& diagnostics) {
  const std::string& text = file->text();
  if (text.size() > limits.max_bytes) {
    diagnostics.push_back(
        make_diagnostic(severity::error, "E-yaml-size", source_pos{file, 0},
                        "the file is " + std::to_string(text.size()) + " bytes; the limit is " +
                            std::to_string(limits.max_bytes),
                        "raise the limit in the load options if this file is genuine"));
    return std::nullopt;
  }
  if (text.find('\0') != std::string::npos) {
    diagnostics.push_back(make_diagnostic(severity::error, "E-yaml-syntax",
                                          source_pos{file, text.find('\0')},
                                          "the file holds a NUL byte; it is not a text file"));
    return std::nullopt;
  }
  // YAML is Unicode text, and names, labels and aliases are compared and matched as UTF-8:
  // a byte outside valid UTF-8 (a file saved as GB18030, a character cut in half) is
  // refused where it is rather than read as some other text.
  if (io::utf8_scan_result scan = io::scan_utf8(text); scan.valid_size != text.size()) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X",
                  static_cast<unsigned>(static_cast<unsigned char>(text[scan.valid_size])));
    diagnostics.push_back(make_diagnostic(
        severity::error, "E-yaml-encoding", source_pos{file, scan.valid_size},
        std::string("the file is not valid UTF-8 here (byte ") + byte +
            (scan.truncated ? ", a character cut off by the end of the file)" : ")"),
        "save the rule set as UTF-8 (GB18030 is read in exports and list files only)"));
    return std::nullopt;
  }
  if (auto second = find_second_document(text)) {
    diagnostics.push_back(
        make_diagnostic(severity::error, "E-yaml-documents", source_pos{file, *second},
                        "a second YAML document starts here; a rule-set file holds exactly one",
                        "remove the '---' or '...' line, or split the file"));
    return std::nullopt;
  }
  tree_builder builder(file, limits);
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    if (!parser.HandleNextDocument(builder) || !builder.root) {
      diagnostics.push_back(make_diagnostic(severity::error, "E-yaml-empty", source_pos{file, 0},
                                            "the file holds no YAML document",
                                            "a rule set starts with 'chanrules: 1'"));
      return std::nullopt;
    }
  } catch (const abandon_parse& a) {
    diagnostics.push_back(a.d);
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    size_t offset = e.mark.pos < 0 ? 0 : static_cast<size_t>(e.mark.pos) + bom_size(text);
    // An alias is refused before yaml-cpp could resolve it only when its anchor was seen (and
    // refused) first; an alias of an unknown anchor is still an alias to the rule author.
    if (e.msg == YAML::ErrorMsg::UNKNOWN_ANCHOR) {
      diagnostics.push_back(make_diagnostic(severity::error, "E-yaml-alias",
                                            source_pos{file, offset}, kAliasMessage, kAliasHint));
      return std::nullopt;
    }
    diagnostics.push_back(make_diagnostic(severity::error, "E-yaml-syntax",
                                          source_pos{file, offset}, "YAML syntax error: " + e.msg,
                                          "check indentation and quoting around this spot"));
    return std::nullopt;
  } catch (const std::exception& e) {
    diagnostics.push_back(make_diagnostic(severity::error, "E-yaml-syntax", source_pos{file, 0},
                                          std::string("YAML could not be read: ") + e.what()));
    return std::nullopt;
  }
  return std::move(builder.root);
}

}  // namespace chanrules::detail
