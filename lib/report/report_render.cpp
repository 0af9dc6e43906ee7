// Markdown and HTML renderings of a report. The HTML page is self-contained: one inline style sheet,
// SVG figures inline, images as base64 data URIs, no scripts and no external references.
#include <fmt/format.h>

#include "io/mapped_file.h"
#include "report/markup.h"
#include "report/report.h"

namespace latentlab::report {
namespace {

constexpr const char* kStyle = R"(body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:0.2em}.subtitle{color:#666;margin-top:0}h2{border-bottom:1px solid #ccc;padding-bottom:0.2em;margin-top:2em}
table{border-collapse:collapse;margin:0.5em 0 0.3em;font-size:13px}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}.note{color:#555;font-size:12px;margin:0.2em 0 1em}
figure{margin:1em 0}figcaption{color:#555;font-size:12px}img.grid{max-width:100%;image-rendering:pixelated;border:1px solid #ccc})";

std::string mime_of(const std::string& path) {
  const auto dot = path.find_last_of('.');
  const std::string ext = dot == std::string::npos ? "" : path.substr(dot + 1);
  return ext == "png" || ext == "PNG" ? "image/png" : "image/jpeg";
}

}  // namespace

std::string render_markdown(const Report& report, const std::vector<std::string>& image_links) {
  std::string out = "# " + report.title + "\n\n_" + report.subtitle + "_\n\n";
  size_t image = 0;
  for (const auto& section : report.sections) {
    out += "## " + section.title + "\n\n";
    for (const auto& p : section.paragraphs) out += p + "\n\n";
    for (const auto& t : section.tables) out += to_markdown(t);
    for (const auto& f : section.figures) out += fmt::format("![{0}](plots/{1}.svg)\n\n*{0}*\n\n", f.caption, f.name);
    for (const auto& i : section.images)
      out += fmt::format("![{0}]({1})\n\n*{0}*\n\n", i.caption, image_links.at(image++));
  }
  return out;
}

std::string render_html(const Report& report) {
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
      "charset=\"utf-8\">\n<title>{0}</title>\n<style>\n{1}\n</style>\n"
      "</head>\n<body>\n<h1>{0}</h1>\n<p class=\"subtitle\">{2}</p>\n",
      xml_escape(report.title), kStyle, xml_escape(report.subtitle));
  for (const auto& section : report.sections) {
    out += "<section>\n<h2>" + xml_escape(section.title) + "</h2>\n";
    for (const auto& p : section.paragraphs) out += "<p>" + xml_escape(p) + "</p>\n";
    for (const auto& t : section.tables) out += to_html(t);
    for (const auto& f : section.figures)
      out += "<figure class=\"plot\" id=\"" + xml_escape(f.name) + "\">\n" + f.svg + "<figcaption>" +
             xml_escape(f.caption) + "</figcaption>\n</figure>\n";
    for (const auto& i : section.images) {
      const auto bytes = io::read_file(i.path);
      out += fmt::format(
          "<figure class=\"grid\">\n<img class=\"grid\" alt=\"{0}\" src=\"data:{1};base64,{2}\">\n"
          "<figcaption>{0}</figcaption>\n</figure>\n",
          xml_escape(i.caption), mime_of(i.path), base64(std::string(bytes.begin(), bytes.end())));
    }
    out += "</section>\n";
  }
  return out + "</body>\n</html>\n";
}

}  // namespace latentlab::report
