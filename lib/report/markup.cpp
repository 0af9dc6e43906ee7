#include "report/markup.h"

#include <cstdint>

namespace latentlab::report {

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string base64(const std::string& bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t block = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) block |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) block |= static_cast<uint8_t>(bytes[i + 2]);
    out += alphabet[(block >> 18) & 63];
    out += alphabet[(block >> 12) & 63];
    out += i + 1 < bytes.size() ? alphabet[(block >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? alphabet[block & 63] : '=';
  }
  return out;
}

}  // namespace latentlab::report
