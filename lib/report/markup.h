// Escaping shared by the HTML page and the SVG writer, and base64 for images embedded as data URIs.
#pragma once

#include <string>

namespace latentlab::report {

// & < > " ' as entities: safe in XML/HTML text and in double-quoted attributes.
std::string xml_escape(const std::string& text);
// RFC 4648 base64 with padding.
std::string base64(const std::string& bytes);

}  // namespace latentlab::report
