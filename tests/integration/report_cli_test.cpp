// `latentlab report` and `latentlab leaderboard` end to end: small results files shaped like the real
// commands' (tests/unit/report/results_fixtures.h), a report whose tables are checked against those
// files, the HTML rendered by headless Chromium (when installed) and the leaderboard verbs with their
// one-line refusals.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "io/results_json.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"
#include "unit/report/results_fixtures.h"

namespace latentlab {
namespace {

testing::CommandResult latentlab(const std::string& args) {
  return testing::run_command(std::string(LATENTLAB_BINARY) + " " + args + " --quiet");
}

// A 2x2 RGB PNG (red, blue; two rows), written by zlib + struct in Python.
const std::string kGridPng(
    "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x02\x00\x00\x00\x02\x08\x02\x00\x00"
    "\x00\xfd\xd4\x9a\x73\x00\x00\x00\x10\x49\x44\x41\x54\x78\x9c\x63\xf8\xcf\x00\x04\xff\x19\x20\x14\x00\x1b\xf2\x03"
    "\xfd\xd6\x96\xf2\x2b\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82",
    73);

// Three models; rFID, gFID and probe F1 chosen so that better alignment ranks first everywhere.
struct Model {
  const char* name;
  double rfid, fid, smiling, bald;
};
const Model kModels[] = {
    {"plain", 3.25, 30.0, 0.5, 0.7}, {"va-vae", 2.75, 22.0, 0.6, 0.8}, {"send-vae", 2.5, 10.0, 0.75, 0.85}};

// The rows of the Markdown table that follows the heading `title` ("### title").
std::vector<std::vector<std::string>> markdown_table(const std::string& markdown, const std::string& title) {
  std::vector<std::vector<std::string>> rows;
  const auto at = markdown.find("### " + title + "\n");
  if (at == std::string::npos) return rows;
  std::istringstream in(markdown.substr(at));
  std::string line;
  std::getline(in, line);  // the heading
  std::getline(in, line);  // blank
  while (std::getline(in, line) && !line.empty() && line[0] == '|') {
    std::vector<std::string> cells;
    for (size_t start = 1, bar; (bar = line.find(" |", start)) != std::string::npos; start = bar + 2)
      cells.push_back(line.substr(start + 1, bar - start - 1));
    if (!cells.empty()) rows.push_back(cells);  // the |---|---| line has no " |" and no cells
  }
  return rows;
}

class ReportCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<testing::ScratchDir>();
    for (const auto& m : kModels) {
      auto recon = testing::recon_results(m.name, m.rfid, 18 + m.rfid, 0.4, 0.3);
      if (std::string(m.name) == "send-vae") recon["results"]["recon_grid"] = "grid.png";
      write(fmt::format("recon-{}.json", m.name), recon);
      write(fmt::format("fid-{}.json", m.name), testing::fid_results(m.name, m.fid));
      write(fmt::format("probe-{}.json", m.name),
            testing::probe_results(m.name, {{"Smiling", m.smiling}, {"Bald", m.bald}}));
    }
    // The same VAE measured on 8 images: another protocol, its own table.
    write("recon-send-vae-8.json", testing::recon_results("send-vae", 2.0, 19, 0.4, 0.3, 8));
    testing::write_bytes(dir_->file("grid.png"), kGridPng);
    testing::write_bytes(dir_->file("plain.jsonl"), "{\"step\": 0, \"loss\": 1.0}\n{\"step\": 50, \"loss\": 0.6}\n");
    testing::write_bytes(dir_->file("send.jsonl"), "{\"step\": 0, \"loss\": 0.9}\n{\"step\": 50, \"loss\": 0.4}\n");
  }
  // The report of every file, made once per process by the first test that reads it (ctest runs each test
  // in its own process; the leaderboard tests need no report).
  static const testing::CommandResult& report() {
    if (!run_) {
      std::string args;
      for (const char* kind : {"recon", "fid", "probe"})
        for (const auto& m : kModels) args += " " + dir_->file(fmt::format("{}-{}.json", kind, m.name));
      args += " " + dir_->file("recon-send-vae-8.json") + " plain=" + dir_->file("plain.jsonl") +
              " send-vae=" + dir_->file("send.jsonl");
      run_ =
          std::make_unique<testing::CommandResult>(latentlab("report" + args + " --title 'Tiny study' --out " + out()));
    }
    return *run_;
  }
  static void TearDownTestSuite() {
    dir_.reset();
    run_.reset();
  }
  static void write(const std::string& name, const nlohmann::json& doc) { io::write_results(dir_->file(name), doc); }
  static nlohmann::json read(const std::string& name) {
    return nlohmann::json::parse(testing::read_text(dir_->file(name)));
  }
  static std::string out() { return dir_->file("report"); }
  static std::string markdown() { return testing::read_text(out() + "/report.md"); }
  // The ranking fingerprint: the protocol less what names the measured model (docs/reports.md).
  static std::string fingerprint(const std::string& name) {
    auto protocol = read(name)["protocol"];
    protocol.erase("vae_sha256");
    protocol.erase("vae_config");
    if (protocol.contains("sets")) protocol["sets"]["fake"].erase("input");
    return io::protocol_fingerprint(protocol).substr(0, 12);
  }
  static std::unique_ptr<testing::ScratchDir> dir_;
  static std::unique_ptr<testing::CommandResult> run_;
};
std::unique_ptr<testing::ScratchDir> ReportCli::dir_;
std::unique_ptr<testing::CommandResult> ReportCli::run_;

TEST_F(ReportCli, WritesMarkdownHtmlPlotsAndGrids) {
  const auto& r = report();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "12 results -> ");
  EXPECT_CONTAINS(r.out, "1 grids");
  for (const char* file : {"report.md", "report.html", "images/1-grid.png", "plots/probe-attributes-1.svg",
                           "plots/probe-vs-gfid-1.svg", "plots/curve-1.svg"})
    EXPECT_TRUE(testing::file_exists(out() + "/" + file)) << file;
  EXPECT_EQ(testing::read_text(out() + "/images/1-grid.png"), kGridPng);
  EXPECT_CONTAINS(markdown(), "# Tiny study\n");
}

TEST_F(ReportCli, LeaderboardPerProtocolMatchesTheResultsFiles) {
  const auto& r = report();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto md = markdown();
  const auto rows = markdown_table(md, "recon — protocol " + fingerprint("recon-plain.json") + " (1 of 2)");
  ASSERT_EQ(rows.size(), 4u) << md;
  EXPECT_EQ(rows[0], (std::vector<std::string>{"#", "model", "rFID", "PSNR", "SSIM", "LPIPS", "file"}));
  // Ranked by rFID, lowest first, each number as the file holds it.
  std::vector<std::string> names = {"send-vae", "va-vae", "plain"};
  for (size_t i = 0; i < names.size(); ++i) {
    const auto doc = read("recon-" + names[i] + ".json")["results"];
    EXPECT_EQ(rows[i + 1],
              (std::vector<std::string>{
                  std::to_string(i + 1), names[i], fmt::format("{:.4f}", doc["rfid"].get<double>()),
                  fmt::format("{:.2f}", doc["psnr"].get<double>()), fmt::format("{:.4f}", doc["ssim"].get<double>()),
                  fmt::format("{:.4f}", doc["lpips"].get<double>()), dir_->file("recon-" + names[i] + ".json")}));
  }
  // The 8-image result is alone under its own protocol, never ranked with the others.
  const auto other = markdown_table(md, "recon — protocol " + fingerprint("recon-send-vae-8.json") + " (2 of 2)");
  ASSERT_EQ(other.size(), 2u);
  EXPECT_EQ(other[1][2], "2.0000");
  EXPECT_CONTAINS(md, "The 2 recon protocols differ in: count");
  const auto fid = markdown_table(md, "fid — protocol " + fingerprint("fid-plain.json"));
  ASSERT_EQ(fid.size(), 4u);
  EXPECT_EQ(fid[1][1], "send-vae");
  EXPECT_EQ(fid[1][2], "10.0000");
}

TEST_F(ReportCli, ProbeTablesAndCorrelationWithGfid) {
  const auto& r = report();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto md = markdown();
  const auto rows = markdown_table(md, "attributes F1 — probe protocol " + fingerprint("probe-plain.json"));
  ASSERT_EQ(rows.size(), 3u) << md;
  EXPECT_EQ(rows[0], (std::vector<std::string>{"attribute", "plain", "va-vae", "send-vae"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"Smiling", "0.5000", "0.6000", "0.7500"}));
  // Macro-F1 (mean of the two F1s) against gFID: Pearson by its definition, Spearman -1 (F1 up, gFID down).
  std::vector<double> x, y;
  for (const auto& m : kModels) x.push_back((m.smiling + m.bald) / 2), y.push_back(m.fid);
  const double mx = (x[0] + x[1] + x[2]) / 3, my = (y[0] + y[1] + y[2]) / 3;
  double sxy = 0, sxx = 0, syy = 0;
  for (int i = 0; i < 3; ++i)
    sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx), syy += (y[i] - my) * (y[i] - my);
  EXPECT_CONTAINS(md, fmt::format("n = 3, Pearson r = {:.4f}, Spearman ρ = -1.0000", sxy / std::sqrt(sxx * syy)));
}

TEST_F(ReportCli, PaperTablesBesideOurs) {
  const auto& r = report();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto md = markdown();
  const auto rows = markdown_table(md, "Table 7 — reconstruction vs generation (layout of the paper's Table 7)");
  ASSERT_GE(rows.size(), 7u) << md;
  EXPECT_EQ(rows[1], (std::vector<std::string>{"plain", "ours", "3.25", "21.25", "0.300", "0.40", "30.00"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"IN-VAE", "paper †", "0.26", "28.59", "0.089", "0.80", "17.43"}));
  EXPECT_EQ(rows[5], (std::vector<std::string>{"send-vae", "ours", "2.50", "20.50", "0.300", "0.40", "10.00"}));
  EXPECT_EQ(rows[6], (std::vector<std::string>{"Send-VAE", "paper †", "0.31", "27.62", "0.101", "0.77", "7.57"}));
  EXPECT_CONTAINS(md, "† Not comparable: our results were measured under another protocol");
  EXPECT_CONTAINS(md, "### Table 1 — ImageNet 256×256 system level");
  EXPECT_CONTAINS(md, "### Table 8 — the paper's numbers (paper †)");
}

TEST_F(ReportCli, HtmlIsSelfContained) {
  const auto& r = report();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto html = testing::read_text(out() + "/report.html");
  std::string rest = html;
  for (size_t at; (at = rest.find("http://www.w3.org/2000/svg")) != std::string::npos;) rest.erase(at, 26);
  EXPECT_EQ(rest.find("http"), std::string::npos);  // nothing fetched: the only URL is the SVG namespace
  EXPECT_EQ(rest.find("<script"), std::string::npos);
  EXPECT_CONTAINS(html, "src=\"data:image/png;base64,iVBORw0KGgo");
  const auto plots = std::distance(std::filesystem::directory_iterator(out() + "/plots"), {});
  size_t svgs = 0;
  for (size_t at = 0; (at = html.find("<svg ", at)) != std::string::npos; ++at) ++svgs;
  EXPECT_EQ(static_cast<long>(svgs), plots);
}

// Chromium renders the page (one run: DOM dump, console log and screenshot together): no console messages, the DOM
// holds the leaderboards and plots, and the screenshot is not blank.
TEST_F(ReportCli, RendersInHeadlessChromium) {
  if (!testing::file_exists("/usr/bin/chromium")) GTEST_SKIP() << "chromium is not installed (tools/install-deps.sh)";
  const auto& r = report();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto shot = dir_->file("shot.png");
  const auto dom = testing::run_command(
      "timeout 60 /usr/bin/chromium --headless --no-sandbox --disable-gpu --user-data-dir=" + dir_->file("profile") +
      " --enable-logging=stderr --v=0 --window-size=1100,2400 --screenshot=" + shot + " --dump-dom file://" + out() +
      "/report.html");
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  EXPECT_EQ(dom.err.find(":CONSOLE"), std::string::npos) << dom.err;  // how Chromium logs console messages
  const auto count = [&](const std::string& tag) {
    size_t n = 0;
    for (size_t at = 0; (at = dom.out.find(tag, at)) != std::string::npos; ++at) ++n;
    return n;
  };
  EXPECT_GE(count("<table>"), 10u);
  const auto plots = std::distance(std::filesystem::directory_iterator(out() + "/plots"), {});
  EXPECT_EQ(static_cast<long>(count("<svg ")), plots);  // attribute bars, probe vs gFID, loss curve
  EXPECT_CONTAINS(dom.out, "<td>send-vae</td>");
  // Python's PIL counts the dark pixels: text, tables and plots make many.
  const auto pixels =
      testing::run_command(std::string(LATENTLAB_REFERENCE_PYTHON) +
                           " -c \"import sys; from PIL import Image; im = Image.open(sys.argv[1])."
                           "convert('L'); print(im.size[0], im.size[1], sum(1 for p in im.getdata() if p < 200))\" " +
                           shot);
  ASSERT_EQ(pixels.exit_code, 0) << pixels.err;
  int width = 0, height = 0, dark = 0;
  std::istringstream(pixels.out) >> width >> height >> dark;
  EXPECT_EQ(width, 1100);
  EXPECT_GT(dark, width * height / 200) << pixels.out;
}

TEST_F(ReportCli, LeaderboardAddShowAndRefusals) {
  const std::string board = " --board " + dir_->file("board.json");
  // Three people add at once: the lock keeps every entry.
  std::string parallel;
  for (const auto& m : kModels)
    parallel += std::string(LATENTLAB_BINARY) + " leaderboard add " + dir_->file(fmt::format("recon-{}.json", m.name)) +
                board + " > /dev/null & ";
  ASSERT_EQ(testing::run_command(parallel + "wait").exit_code, 0);
  auto show = latentlab("leaderboard show" + board + " --format csv");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_CONTAINS(show.out, "#,model,rFID,PSNR,SSIM,LPIPS,file\r\n1,send-vae,2.5000,20.50,");
  EXPECT_EQ(std::count(show.out.begin(), show.out.end(), '\n'), 4);
  show = latentlab("leaderboard show" + board + " --format json");
  EXPECT_EQ(nlohmann::json::parse(show.out)["ranked"][2]["label"], "plain");

  const auto refused = [&](const std::string& file, const std::string& problem) {
    const auto r = latentlab("leaderboard add " + dir_->file(file) + board);
    EXPECT_EQ(r.exit_code, 1) << file;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_CONTAINS(r.err, "latentlab leaderboard add: error: " + dir_->file(file) + ": " + problem);
  };
  refused("recon-plain.json", "already on the board");
  refused("recon-send-vae-8.json", "protocol differs from the board");
  refused("fid-plain.json", "is a 'fid' result");
  EXPECT_EQ(latentlab("leaderboard add " + dir_->file("recon-plain.json")).exit_code, 2);  // no --board
}

TEST_F(ReportCli, BadInputIsOneLine) {
  auto r = latentlab("report " + dir_->file("nope.json") + " --out " + dir_->file("bad"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.err, ": error: " + dir_->file("nope.json") + ": cannot open");
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(testing::file_exists(dir_->file("bad/report.md")));
  r = latentlab("report " + dir_->file("recon-plain.json"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_CONTAINS(r.err, "--out: is required");
}

}  // namespace
}  // namespace latentlab
