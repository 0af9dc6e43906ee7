// Attribute tables: CelebA's two list files and CSV sidecars, exact values and lookups, and each refusal naming
// "FILE:LINE" (or the file, for whole-file faults).
#include "datasets/readers/attribute_table.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab::datasets {
namespace {

using testing::problem_of;

using testing::ScratchDir;
using testing::write_bytes;

// Writes `text` to NAME in `dir` and returns the problem `reader` reports; the subject must be path + `suffix`.
template <typename Reader>
std::string problem(const ScratchDir& dir, Reader reader, const std::string& text, const std::string& suffix) {
  const std::string path = dir.file("t.txt");
  write_bytes(path, text);
  return problem_of([&] { reader(path); }, path + suffix);
}

TEST(AttributeTableTest, ReadsCelebaAttributes) {
  ScratchDir dir;
  // Padded like the published file: two spaces before positive values, trailing space on the names line.
  write_bytes(dir.file("list_attr_celeba.txt"),
              "3\r\n5_o_Clock_Shadow Arched_Eyebrows Smiling \r\n"
              "000001.jpg -1  1  1\r\n000002.jpg -1 -1  1\r\n000003.jpg  1 -1 -1\r\n\r\n");
  const AttributeTable t = read_celeba_attributes(dir.file("list_attr_celeba.txt"));
  EXPECT_EQ(t.names(), (std::vector<std::string>{"5_o_Clock_Shadow", "Arched_Eyebrows", "Smiling"}));
  ASSERT_EQ(t.size(), 3);
  EXPECT_EQ(t.filename(2), "000003.jpg");
  EXPECT_EQ(t.row(0), (std::vector<int32_t>{0, 1, 1}));
  EXPECT_EQ(t.at("000002.jpg"), (std::vector<int32_t>{0, 0, 1}));
  EXPECT_EQ(t.value(2, 0), 1);
  EXPECT_EQ(t.find("000003.jpg"), 2);
  EXPECT_EQ(t.find("nope.jpg"), -1);
  EXPECT_EQ(t.attribute_index("Smiling"), 2);
  EXPECT_EQ(t.attribute_index("Bald"), -1);
  EXPECT_CONTAINS(problem_of([&] { t.at("nope.jpg"); }, t.path()), "no row for 'nope.jpg'");
}

TEST(AttributeTableTest, RefusesBrokenCelebaAttributes) {
  ScratchDir dir;
  const auto read = [](const std::string& p) { read_celeba_attributes(p); };
  EXPECT_CONTAINS(problem(dir, read, "", ""), "truncated");
  EXPECT_CONTAINS(problem(dir, read, "two\nA B\n", ":1"), "not a row count");
  EXPECT_CONTAINS(problem(dir, read, "1\n  \n", ":2"), "no attribute names");
  EXPECT_CONTAINS(problem(dir, read, "2\nA B\na.jpg 1 -1\nb.jpg 1\n", ":4"), "2 fields, expected a file name and 2");
  EXPECT_CONTAINS(problem(dir, read, "1\nA B\na.jpg 1 0\n", ":3"), "value '0' of B is not 1 or -1");
  EXPECT_CONTAINS(problem(dir, read, "2\nA\na.jpg 1\na.jpg -1\n", ":4"), "'a.jpg' repeats row 1");
  EXPECT_CONTAINS(problem(dir, read, "3\nA\na.jpg 1\nb.jpg -1\n", ""), "announces 3 rows, but the file holds 2");
}

TEST(AttributeTableTest, ReadsCelebaPartition) {
  ScratchDir dir;
  write_bytes(dir.file("list_eval_partition.txt"), "000001.jpg 0\n000002.jpg 2\n\n000003.jpg 1\n");
  const AttributeTable t = read_celeba_partition(dir.file("list_eval_partition.txt"));
  EXPECT_EQ(t.names(), std::vector<std::string>{"partition"});
  ASSERT_EQ(t.size(), 3);
  EXPECT_EQ(t.at("000002.jpg"), std::vector<int32_t>{2});
  EXPECT_EQ(t.at("000003.jpg"), std::vector<int32_t>{celeba_partition_code("val")});
  EXPECT_EQ(celeba_partition_code("train"), 0);
  EXPECT_EQ(celeba_partition_code("test"), 2);
  EXPECT_THROW(celeba_partition_code("dev"), UserError);
  const auto read = [](const std::string& p) { read_celeba_partition(p); };
  EXPECT_CONTAINS(problem(dir, read, "a.jpg 0\nb.jpg 3\n", ":2"), "partition '3' is not 0, 1 or 2");
  EXPECT_CONTAINS(problem(dir, read, "a.jpg 0 1\n", ":1"), "3 fields");
  EXPECT_CONTAINS(problem(dir, read, "a.jpg 0\na.jpg 1\n", ":2"), "repeats");
  EXPECT_CONTAINS(problem(dir, read, "\n\n", ""), "no rows");
}

TEST(AttributeTableTest, ReadsCsvWithQuotesBlankLinesAndBom) {
  ScratchDir dir;
  write_bytes(dir.file("attrs.csv"),
              "\xEF\xBB\xBFimage_id,Smiling, hue \r\n"
              "a.png,1,0\n"
              "\n"
              "\"b,with comma.png\", 0 ,7\n"
              "  \"say \"\"hi\"\".png\" ,1,12\n"
              "   \n");
  const AttributeTable t = read_attribute_csv(dir.file("attrs.csv"));
  EXPECT_EQ(t.names(), (std::vector<std::string>{"Smiling", "hue"}));
  ASSERT_EQ(t.size(), 3);
  EXPECT_EQ(t.filename(1), "b,with comma.png");
  EXPECT_EQ(t.filename(2), "say \"hi\".png");
  EXPECT_EQ(t.at("a.png"), (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(t.at("b,with comma.png"), (std::vector<int32_t>{0, 7}));
  EXPECT_EQ(t.row(2), (std::vector<int32_t>{1, 12}));
}

TEST(AttributeTableTest, RefusesBrokenCsv) {
  ScratchDir dir;
  const auto read = [](const std::string& p) { read_attribute_csv(p); };
  EXPECT_CONTAINS(problem(dir, read, "\n \n", ""), "empty");
  EXPECT_CONTAINS(problem(dir, read, "filename\na.png\n", ":1"), "no attribute columns");
  EXPECT_CONTAINS(problem(dir, read, "filename,A,,B\n", ":1"), "column 3 has no name");
  EXPECT_CONTAINS(problem(dir, read, "filename,A,A\n", ":1"), "'A' appears twice");
  EXPECT_CONTAINS(problem(dir, read, "filename,A\n", ""), "no rows");
  EXPECT_CONTAINS(problem(dir, read, "filename,A,B\na.png,1\n", ":2"), "2 fields, but the header has 3");
  EXPECT_CONTAINS(problem(dir, read, "filename,A\na.png,1,\n", ":2"), "3 fields");
  EXPECT_CONTAINS(problem(dir, read, "filename,A\na.png,yes\n", ":2"), "value 'yes' of A is not an integer");
  EXPECT_CONTAINS(problem(dir, read, "filename,A\na.png,1.5\n", ":2"), "not an integer");
  EXPECT_CONTAINS(problem(dir, read, "filename,A\n\na.png,-1\n", ":3"), "value -1 of A is negative");
  EXPECT_CONTAINS(problem(dir, read, "filename,A\na.png,4294967296\n", ":2"), "does not fit 32 bits");
  EXPECT_CONTAINS(problem(dir, read, "filename,A\na.png,99999999999999999999999\n", ":2"), "not an integer");
  EXPECT_CONTAINS(problem(dir, read, "filename,A\n\"a.png,1\n", ":2"), "unterminated quoted field");
  EXPECT_CONTAINS(problem(dir, read, "filename,A\n\"a\"x.png,1\n", ":2"), "text after the closing quote");
  EXPECT_CONTAINS(problem(dir, read, "filename,A\na.png,1\nb.png,0\na.png,0\n", ":4"), "'a.png' repeats row 1");
  EXPECT_CONTAINS(problem(dir, read, "filename,A\n,1\n", ":2"), "empty file name");
  EXPECT_CONTAINS(problem_of([&] { read_attribute_csv(dir.file("missing.csv")); }, dir.file("missing.csv")),
                  "cannot open");
}

}  // namespace
}  // namespace latentlab::datasets
