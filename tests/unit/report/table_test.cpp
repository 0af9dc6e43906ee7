// The three renderings of a table, cell escaping included.
#include <gtest/gtest.h>

#include <cmath>

#include "report/markup.h"
#include "report/table.h"

namespace latentlab::report {
namespace {

Table sample() {
  return {"Scores", {"model", "F1"}, {{"a|b", "0.5000"}, {"c, \"d\"", "-"}}, {"A note."}};
}

TEST(Table, Markdown) {
  EXPECT_EQ(to_markdown(sample()),
            "### Scores\n\n| model | F1 |\n|---|---|\n| a\\|b | 0.5000 |\n| c, \"d\" | - |\n\nA note.\n\n");
}

TEST(Table, CsvQuotesAsRfc4180) {
  EXPECT_EQ(to_csv(sample()), "model,F1\r\na|b,0.5000\r\n\"c, \"\"d\"\"\",-\r\n");
}

TEST(Table, HtmlEscapes) {
  const auto html = to_html({"<t>", {"a&b"}, {{"<script>"}}, {}});
  EXPECT_EQ(html,
            "<h3>&lt;t&gt;</h3>\n<table>\n<thead><tr><th>a&amp;b</th></tr></thead>\n<tbody>\n"
            "<tr><td>&lt;script&gt;</td></tr>\n</tbody>\n</table>\n");
}

TEST(Table, FormatValue) {
  EXPECT_EQ(format_value(0.123456, 4), "0.1235");
  EXPECT_EQ(format_value(17.43, 2), "17.43");
  EXPECT_EQ(format_value(std::nan(""), 2), "-");
}

TEST(Markup, Base64MatchesRfc4648Vectors) {
  // RFC 4648 §10 test vectors.
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64(std::string("\xff\x00", 2)), "/wA=");
}

}  // namespace
}  // namespace latentlab::report
