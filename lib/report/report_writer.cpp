#include <filesystem>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/mapped_file.h"
#include "report/report.h"

namespace latentlab::report {

WrittenReport write_report(const Report& report, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::create_directories(fs::path(dir) / "plots", error);
  if (error) fail(dir, "cannot create the report folder: {}", error.message());
  WrittenReport written;
  std::vector<std::string> image_links;
  for (const auto& section : report.sections) {
    written.tables += section.tables.size();
    for (const auto& f : section.figures) {
      io::write_file_atomic((fs::path(dir) / "plots" / (f.name + ".svg")).string(), f.svg);
      ++written.figures;
    }
    for (const auto& i : section.images) {
      // Numbered copies beside the Markdown, so the folder travels as one piece.
      const auto link = "images/" + std::to_string(++written.images) + "-" + fs::path(i.path).filename().string();
      fs::create_directories(fs::path(dir) / "images", error);
      if (error) fail(dir, "cannot create the images folder: {}", error.message());
      const auto bytes = io::read_file(i.path);
      io::write_file_atomic((fs::path(dir) / link).string(), std::string(bytes.begin(), bytes.end()));
      image_links.push_back(link);
    }
  }
  written.markdown = (fs::path(dir) / "report.md").string();
  written.html = (fs::path(dir) / "report.html").string();
  io::write_file_atomic(written.markdown, render_markdown(report, image_links));
  io::write_file_atomic(written.html, render_html(report));
  return written;
}

}  // namespace latentlab::report
