// chanrules::batch: a columnar batch of records that callers fill and classify.
//
// A batch is laid out for one rule set: one column per declared field, typed by the field.
// Values are converted when they are put in (text read by the field's type, enum labels
// mapped to small integer codes, compared strings interned), so classification itself never
// parses or compares text.
//
//   chanrules::batch b(*rules);
//   size_t row = b.add_row();
//   b.set_text(row, b.field("network"), "R");          // false + reason on a bad value
//   auto result = rules->classify(b);
//
// Lifetime: a batch keeps a reference to its rule set's compiled program through a
// shared_ptr, so it stays valid even if the caller drops the rule set. Not thread-safe:
// fill and read a batch from one thread at a time (classifying it from several threads
// concurrently is fine once filled).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace chanrules {

class rule_set;

namespace detail {
struct batch_impl;
struct batch_access;
}  // namespace detail

class batch {
 public:
  explicit batch(const rule_set& rules, size_t capacity = 0);
  ~batch();
  batch(batch&&) noexcept;
  batch& operator=(batch&&) noexcept;
  batch(const batch&) = delete;
  batch& operator=(const batch&) = delete;

  size_t size() const;
  size_t field_count() const;
  // Index of a field by name, or npos.
  size_t field(std::string_view name) const;
  static constexpr size_t npos = static_cast<size_t>(-1);

  // Removes every row (keeps the memory for reuse).
  void clear();
  void reserve(size_t rows);
  // Appends a row with every value missing; returns its index.
  size_t add_row();

  // Reads `text` by the field's type, exactly as a CSV cell (the field's `trim` applies; an
  // empty text is a missing value). Returns false and sets *why (if given) when the text is
  // not a valid value; the cell is then left missing.
  bool set_text(size_t row, size_t field, std::string_view text, std::string* why = nullptr);
  void set_missing(size_t row, size_t field);
  // Typed setters; each checks the field's type and range like set_text.
  bool set_integer(size_t row, size_t field, int64_t value, std::string* why = nullptr);
  bool set_boolean(size_t row, size_t field, bool value, std::string* why = nullptr);

  // Reads a whole record of cells; `values[i]` is the text for field i (missing when empty).
  // Returns false with the first problem (field name and reason) in *why; required fields
  // that are missing are problems too.
  // When bad_field is given it receives the index of the field at fault.
  bool add_record(const std::vector<std::string_view>& values, std::string* why = nullptr,
                  size_t* bad_field = nullptr);

  // True when every required field of the row has a value.
  bool complete(size_t row, std::string* why = nullptr) const;

  // --- Column at a time -------------------------------------------------------------------
  // Sets the number of rows; new rows start with every value missing.
  void resize(size_t rows);

  // A problem found while filling a column: the row and why its value was not taken (the
  // cell is then left missing).
  struct cell_error {
    size_t row = 0;
    std::string reason;
  };

  // Fills rows [0, cells.size()) of a field from text cells, read exactly like set_text
  // (missing where empty). Grows the batch if needed. Returns the cells that could not be
  // read; an empty vector means every cell was taken.
  std::vector<cell_error> set_column_text(size_t field, const std::vector<std::string_view>& cells);

  // Fills rows [0, n) of an integer (or date, as days since 1970-01-01) field. `valid` is an
  // optional bitmap (bit i of byte i/8, LSB first, as in Arrow); null means all present.
  // Values outside the field's min/max are reported and left missing.
  std::vector<cell_error> set_column_integers(size_t field, const int64_t* values, size_t n,
                                              const uint8_t* valid = nullptr);

  // Fills rows [0, n) of a boolean field (0 = false, anything else = true).
  std::vector<cell_error> set_column_booleans(size_t field, const uint8_t* values, size_t n,
                                              const uint8_t* valid = nullptr);

  // Enum fields by code: the code of a label is its position in the field's values
  // (enum_code), so callers can map their own dictionary once and fill codes in bulk.
  // Codes outside the domain are reported and left missing.
  static constexpr uint16_t no_code = 0xFFFF;
  uint16_t enum_code(size_t field, std::string_view label) const;  // no_code if unknown
  std::vector<cell_error> set_column_codes(size_t field, const uint16_t* codes, size_t n,
                                           const uint8_t* valid = nullptr);

  // The text of a value as stored (labels for enums, canonical numbers), "" when missing.
  std::string value_text(size_t row, size_t field) const;

 private:
  friend struct detail::batch_access;
  std::unique_ptr<detail::batch_impl> impl_;
};

}  // namespace chanrules
