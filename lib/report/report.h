// A report: sections of tables, SVG figures and image grids built from results (entry.h), rendered as
// Markdown (plots and grids as files beside it) and as one self-contained HTML page (inline CSS, inline
// SVG, grids as data URIs; nothing fetched). docs/reports.md describes the sections.
#pragma once

#include <string>
#include <vector>

#include "report/entry.h"
#include "report/table.h"

namespace latentlab::report {

struct Figure {
  std::string name;  // file stem under plots/, unique within the report
  std::string caption;
  std::string svg;
};

struct Image {
  std::string path;  // a PNG or JPEG file
  std::string caption;
};

struct Section {
  std::string title;
  std::vector<std::string> paragraphs;
  std::vector<Table> tables;
  std::vector<Figure> figures;
  std::vector<Image> images;
};

struct Report {
  std::string title;
  std::string subtitle;
  std::vector<Section> sections;
};

Report build_report(const std::vector<Entry>& entries, const std::string& title);

// `image_links`: for every image, in section order, the path the Markdown links to.
std::string render_markdown(const Report& report, const std::vector<std::string>& image_links);
std::string render_html(const Report& report);  // reads the image files to embed them

struct WrittenReport {
  std::string markdown, html;  // the paths written
  size_t tables = 0, figures = 0, images = 0;
};

// Creates `dir`; writes report.md, plots/NAME.svg, images/N-NAME and report.html, each atomically.
WrittenReport write_report(const Report& report, const std::string& dir);

}  // namespace latentlab::report
