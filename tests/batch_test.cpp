// The batch API: filling column at a time gives exactly what filling row at a time gives,
// and bad cells are reported with their row and left missing.
#include <gtest/gtest.h>

#include <chanrules/chanrules.hpp>
#include <string>
#include <vector>

namespace {

const char* kRules = R"(
chanrules: 1
name: batch-test
version: "1"
fields:
  id: {type: string, required: true}
  tier: {type: enum, values: [T1, T2, T3], ordered: true}
  units: {type: integer, min: 0, max: 1000}
  vip: {type: boolean}
decisions:
  size:
    rules:
      - {id: big, when: "units >= 500 and tier <= T2", then: BIG}
      - {id: vip, when: vip, then: VIP}
    default: SMALL
)";

std::shared_ptr<const chanrules::rule_set> load() {
  auto r = chanrules::rule_set::load_string(kRules, "batch-test.yaml");
  for (const auto& d : r.diagnostics) ADD_FAILURE() << chanrules::format(d);
  return r.rules;
}

TEST(Batch, ColumnsGiveTheSameResultsAsRows) {
  auto rules = load();
  ASSERT_TRUE(rules);
  const std::vector<std::vector<std::string_view>> records = {{"a", "T1", "500", "false"},
                                                              {"b", "T3", "900", "true"},
                                                              {"c", "", "", ""},
                                                              {"d", "T2", "499", "N"},
                                                              {"e", "T2", "1000", "1"}};
  chanrules::batch by_rows(*rules);
  for (const auto& r : records) ASSERT_TRUE(by_rows.add_record(r));

  chanrules::batch by_columns(*rules);
  by_columns.resize(records.size());
  EXPECT_EQ(by_columns.size(), records.size());
  std::vector<std::string_view> ids;
  for (const auto& r : records) ids.push_back(r[0]);
  EXPECT_TRUE(by_columns.set_column_text(0, ids).empty());
  const uint16_t t1 = by_columns.enum_code(1, "T1"), t2 = by_columns.enum_code(1, "T2"),
                 t3 = by_columns.enum_code(1, "T3");
  EXPECT_EQ(t1, 0);
  EXPECT_EQ(t3, 2);
  EXPECT_EQ(by_columns.enum_code(1, "T9"), chanrules::batch::no_code);
  const uint16_t tiers[] = {t1, t3, chanrules::batch::no_code, t2, t2};
  EXPECT_TRUE(by_columns.set_column_codes(1, tiers, 5).empty());
  const int64_t units[] = {500, 900, 0, 499, 1000};
  const uint8_t units_valid[] = {0b11011};  // row 2 missing
  EXPECT_TRUE(by_columns.set_column_integers(2, units, 5, units_valid).empty());
  const uint8_t vip[] = {0, 1, 0, 0, 1};
  const uint8_t vip_valid[] = {0b11011};
  EXPECT_TRUE(by_columns.set_column_booleans(3, vip, 5, vip_valid).empty());

  auto a = rules->classify(by_rows);
  auto b = rules->classify(by_columns);
  for (size_t row = 0; row < records.size(); ++row) {
    EXPECT_EQ(a.outcome(0, row), b.outcome(0, row)) << "row " << row;
    EXPECT_EQ(a.rule_id(0, row), b.rule_id(0, row)) << "row " << row;
    EXPECT_EQ(a.missing_fields(0, row), b.missing_fields(0, row)) << "row " << row;
    for (size_t f = 0; f < 4; ++f)
      EXPECT_EQ(by_rows.value_text(row, f), by_columns.value_text(row, f)) << row << "," << f;
  }
  EXPECT_EQ(b.outcome(0, 0), "BIG");
  EXPECT_EQ(b.outcome(0, 1), "VIP");
  EXPECT_EQ(b.outcome(0, 2), "SMALL");
  EXPECT_EQ(b.rule_id(0, 2), "default");
  EXPECT_EQ(b.missing_fields(0, 2), (std::vector<std::string_view>{"tier", "units", "vip"}));
  EXPECT_EQ(b.outcome(0, 4), "BIG");
}

TEST(Batch, BadCellsAreReportedAndLeftMissing) {
  auto rules = load();
  ASSERT_TRUE(rules);
  chanrules::batch b(*rules);
  auto errors = b.set_column_text(2, {"12", "x", "1001", " 7 ", ""});
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].row, 1u);
  EXPECT_EQ(errors[0].reason, "'x' is not an integer (ASCII digits only)");
  EXPECT_EQ(errors[1].row, 2u);
  EXPECT_EQ(errors[1].reason, "'1001' is above the maximum 1000");
  EXPECT_EQ(b.size(), 5u);
  EXPECT_EQ(b.value_text(0, 2), "12");
  EXPECT_EQ(b.value_text(1, 2), "");
  EXPECT_EQ(b.value_text(3, 2), "7");  // trimmed

  const int64_t units[] = {5, -1};
  auto range = b.set_column_integers(2, units, 2);
  ASSERT_EQ(range.size(), 1u);
  EXPECT_EQ(range[0].row, 1u);
  const uint16_t codes[] = {0, 7};
  auto bad_code = b.set_column_codes(1, codes, 2);
  ASSERT_EQ(bad_code.size(), 1u);
  EXPECT_EQ(bad_code[0].reason, "code 7 is not a value of the field");
  EXPECT_EQ(b.value_text(1, 1), "");
  EXPECT_FALSE(b.set_column_codes(2, codes, 2).empty());  // not an enum field
  EXPECT_FALSE(b.set_column_booleans(1, nullptr, 0).empty());

  std::string why;
  EXPECT_FALSE(b.complete(0, &why));
  EXPECT_EQ(why, "id: a value is required");
}

TEST(Batch, ResizeShrinksAndGrows) {
  auto rules = load();
  ASSERT_TRUE(rules);
  chanrules::batch b(*rules);
  ASSERT_TRUE(b.add_record({"a", "T1", "1", "true"}));
  ASSERT_TRUE(b.add_record({"b", "T2", "2", "false"}));
  b.resize(1);
  EXPECT_EQ(b.size(), 1u);
  b.resize(3);
  EXPECT_EQ(b.size(), 3u);
  EXPECT_EQ(b.value_text(0, 0), "a");
  EXPECT_EQ(b.value_text(1, 0), "");  // new rows start missing, not with old values
  EXPECT_EQ(b.value_text(1, 1), "");
  auto result = rules->classify(b);
  EXPECT_EQ(result.outcome(0, 1), "SMALL");
}

}  // namespace
