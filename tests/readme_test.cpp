// The C++ example of the README, kept compiling and giving what the README says.
#include <gtest/gtest.h>

#include <chanrules/chanrules.hpp>
#include <string>

TEST(Readme, CppExampleClassifiesADkaCustomer) {
  auto loaded =
      chanrules::rule_set::load(std::string(CHANRULES_SOURCE_DIR) + "/rules/channel-2009");
  ASSERT_TRUE(loaded.ok());
  chanrules::batch rows(*loaded.rules);
  // "\xe6\x9f\x90\xe6\x9f\x90\xe9\x80\x9a\xe8\xae\xaf" is the README's example name.
  ASSERT_TRUE(rows.add_record({"C1", "\xe6\x9f\x90\xe6\x9f\x90\xe9\x80\x9a\xe8\xae\xaf", "R", "T3",
                               "2", "650", "", "", "", "", "", "", ""}));
  chanrules::classification result = loaded.rules->classify(rows);
  EXPECT_EQ(result.outcome(loaded.rules->output_decisions()[0], 0), "DKA");
}
