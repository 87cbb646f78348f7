// rule_set::schema() and rule_set::list_entries(): what a rule set declares about its input.
#include <gtest/gtest.h>

#include <chanrules/chanrules.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace chanrules {
namespace {

using testing::load_ok;
using strings = std::vector<std::string>;

const field_schema& field(const rule_set_schema& s, const std::string& name) {
  for (const auto& f : s.fields)
    if (f.name == name) return f;
  ADD_FAILURE() << "no field " << name;
  static field_schema none;
  return none;
}

TEST(Schema, Channel2009Fields) {
  auto loaded = rule_set::load(CHANRULES_SOURCE_DIR "/rules/channel-2009");
  ASSERT_TRUE(loaded.ok()) << testing::describe(loaded.diagnostics);
  const rule_set& rules = *loaded.rules;
  rule_set_schema s = rules.schema();
  ASSERT_EQ(s.fields.size(), rules.field_count());
  for (size_t i = 0; i < s.fields.size(); ++i) EXPECT_EQ(s.fields[i].name, rules.field_name(i));

  const auto& id = field(s, "customer_id");
  EXPECT_EQ(id.type, field_type::string);
  EXPECT_TRUE(id.required);
  EXPECT_TRUE(id.unique);
  EXPECT_TRUE(id.compared.empty());
  EXPECT_FALSE(field(s, "customer_name").trim);

  const auto& network = field(s, "network");
  EXPECT_EQ(network.type, field_type::enumeration);
  EXPECT_EQ(network.values, (strings{"S", "W", "R", "O"}));
  EXPECT_FALSE(network.ordered);
  EXPECT_TRUE(field(s, "market_tier").ordered);

  // local_rank <= 3, <= 2, == 1 (twice): the ends 1, 2, 3 in numeric order.
  const auto& rank = field(s, "local_rank");
  EXPECT_EQ(rank.type, field_type::integer);
  EXPECT_EQ(rank.min, "1");
  EXPECT_EQ(rank.max, "");
  EXPECT_EQ(rank.compared, (strings{"1", "2", "3"}));
  EXPECT_EQ(field(s, "gsm_monthly_units").compared, (strings{"500"}));
  EXPECT_EQ(field(s, "coolpad_coop_months").compared, (strings{"3"}));

  const auto& avg = field(s, "coolpad_avg_monthly_units");
  EXPECT_EQ(avg.type, field_type::decimal);
  EXPECT_EQ(avg.min, "0");
  EXPECT_EQ(avg.compared, (strings{"5"}));

  EXPECT_EQ(field(s, "se_permission").compared, (strings{"DRA"}));
  EXPECT_EQ(field(s, "coolpad_continuous_pickup").type, field_type::boolean);
  EXPECT_STREQ(to_string(field_type::enumeration), "enum");
  EXPECT_STREQ(to_string(field_type::decimal), "decimal");
}

TEST(Schema, Channel2009ListsAndNamedSets) {
  auto loaded = rule_set::load(CHANRULES_SOURCE_DIR "/rules/channel-2009");
  ASSERT_TRUE(loaded.ok()) << testing::describe(loaded.diagnostics);
  const rule_set& rules = *loaded.rules;
  rule_set_schema s = rules.schema();
  ASSERT_EQ(s.lists.size(), 2u);
  EXPECT_EQ(s.lists[0].name, "samsung_list");
  EXPECT_EQ(rules.field_name(s.lists[0].key_field), "customer_id");
  EXPECT_FALSE(s.lists[0].membership);
  EXPECT_EQ(s.lists[0].values, (strings{"SKA", "RKA"}));

  auto entries = rules.list_entries(0);
  EXPECT_EQ(entries.size(), s.lists[0].size);
  ASSERT_FALSE(entries.empty());
  EXPECT_TRUE(std::is_sorted(entries.begin(), entries.end()));
  // The first row of lists/samsung.csv.
  EXPECT_NE(std::find(entries.begin(), entries.end(),
                      std::make_pair(std::string("C000197"), std::string("SKA"))),
            entries.end());
  for (const auto& [key, value] : entries) EXPECT_TRUE(value == "SKA" || value == "RKA") << key;
  EXPECT_THROW(rules.list_entries(2), std::out_of_range);

  ASSERT_EQ(s.named_sets.size(), 1u);
  const auto& account = s.named_sets[0];
  EXPECT_EQ(account.name, "account");
  EXPECT_EQ(rules.field_name(account.field), "customer_name");
  ASSERT_EQ(account.entries.size(), 6u);
  EXPECT_EQ(account.entries[0].key, "国美");
  EXPECT_EQ(account.entries[0].aliases, (strings{"国美", "GOME"}));
  EXPECT_EQ(account.entries[2].aliases, (strings{"五星电器"}));
}

TEST(Schema, RangeEndsOfEveryTypeAndMembershipLists) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "chanrules_schema_test";
  fs::create_directories(dir / "lists");
  { std::ofstream(dir / "lists" / "members.csv") << "id\nb\na\n"; }
  auto rules = load_ok(R"(chanrules: 1
name: kinds
version: "1"
fields:
  id: {type: string, required: true}
  amount: {type: decimal, min: -10.5, max: 99.25}
  opened: {type: date, min: 2000-01-01}
  count: {type: integer}
  flag: {type: boolean}
  note: {type: string}
lists:
  members: {file: lists/members.csv, key: id}
decisions:
  d:
    rules:
      - id: a
        when: amount < 5 and amount > 2.5 and opened >= 2009-10-19
        then: A
      - id: b
        when: count between -3 and 7 and not (amount between 1 and 1.125)
        then: B
      - id: c
        when: count in [10, 11, 12] or count != 40 or count > 4.5
        then: C
      - id: d
        when: note in [x, "y z"] and note != x and members and flag
        then: D
)",
                       dir.string());
  ASSERT_TRUE(rules);
  rule_set_schema s = rules->schema();
  const auto& amount = field(s, "amount");
  EXPECT_EQ(amount.min, "-10.5");
  EXPECT_EQ(amount.max, "99.25");
  // `< 5` ends just below 5 and `> 2.5` just above 2.5: reported as the literals.
  EXPECT_EQ(amount.compared, (strings{"1", "1.125", "2.5", "5"}));
  const auto& opened = field(s, "opened");
  EXPECT_EQ(opened.type, field_type::date);
  EXPECT_EQ(opened.min, "2000-01-01");
  EXPECT_EQ(opened.compared, (strings{"2009-10-19"}));
  // between -3 and 7; in [10..12]; != 40; > 4.5 is >= 5 on integers.
  EXPECT_EQ(field(s, "count").compared, (strings{"-3", "5", "7", "10", "12", "40"}));
  EXPECT_EQ(field(s, "note").compared, (strings{"x", "y z"}));
  EXPECT_TRUE(field(s, "flag").compared.empty());

  ASSERT_EQ(s.lists.size(), 1u);
  EXPECT_TRUE(s.lists[0].membership);
  EXPECT_TRUE(s.lists[0].values.empty());
  EXPECT_EQ(s.lists[0].size, 2u);
  using entry = std::pair<std::string, std::string>;
  EXPECT_EQ(rules->list_entries(0), (std::vector<entry>{{"a", ""}, {"b", ""}}));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace chanrules
