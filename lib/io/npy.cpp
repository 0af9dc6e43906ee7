// .npy reading and writing; the format is described in npy.h.
#include "io/npy.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (moved here in fmt 11)

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/mapped_file.h"

namespace latentlab::io {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;
constexpr size_t kMaxDims = 64;  // numpy 2 allows 64 dimensions; more is a corrupt header
// np.save leaves room for the leading dimension to grow to this many digits (numpy/lib/format.py).
constexpr size_t kGrowthAxisMaxDigits = 21;

uint32_t load_le(const uint8_t* p, size_t bytes) {
  uint32_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}

// The header as it can be quoted in an error: printable ASCII, other bytes escaped, long text cut.
std::string quoted(const std::string& text, size_t max_chars = 160) {
  std::string out;
  for (size_t i = 0; i < text.size() && out.size() < max_chars; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f)
      out += static_cast<char>(c);
    else
      out += fmt::format("\\x{:02x}", c);
  }
  if (out.size() >= max_chars) out += "...";
  return out;
}

// The header dict, parsed strictly: Python literal syntax, but only what np.save writes (and Python 2's
// `3L` integers). Anything else is an error that quotes the header and points at the column.
class HeaderParser {
 public:
  HeaderParser(std::string text, const std::string& subject) : text_(std::move(text)), subject_(subject) {}

  void parse(NpyHeader& header) {
    bool have_descr = false, have_order = false, have_shape = false;
    std::string descr;
    expect('{', "'{'");
    while (true) {
      skip_space();
      if (eat('}')) break;
      const std::string key = parse_string("a key");
      expect(':', "':'");
      skip_space();
      if (key == "descr") {
        if (have_descr) fail_here("key 'descr' appears twice");
        if (peek() == '[') fail(subject_, "structured dtypes (a list in 'descr') are not supported");
        descr = parse_string("the descr string");
        have_descr = true;
      } else if (key == "fortran_order") {
        if (have_order) fail_here("key 'fortran_order' appears twice");
        header.fortran_order = parse_bool();
        have_order = true;
      } else if (key == "shape") {
        if (have_shape) fail_here("key 'shape' appears twice");
        header.shape = parse_shape();
        have_shape = true;
      } else {
        fail(subject_, "unexpected key '{}' in the header (a .npy header holds descr, fortran_order, shape)",
             quoted(key));
      }
      skip_space();
      if (eat('}')) break;
      expect(',', "',' or '}'");
    }
    for (; pos_ < text_.size(); ++pos_)
      if (!is_space(text_[pos_])) fail_here("unexpected text after the header dict");
    const char* missing = !have_descr ? "descr" : !have_order ? "fortran_order" : !have_shape ? "shape" : nullptr;
    if (missing) fail(subject_, "header lacks '{}': {}", missing, quoted(text_));
    set_dtype(descr, header);
  }

 private:
  static bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
  }
  bool eat(char c) {
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  void expect(char c, const char* what) {
    skip_space();
    if (!eat(c)) fail_here(fmt::format("expected {}", what));
  }
  [[noreturn]] void fail_here(const std::string& what) {
    fail(subject_, "malformed header at column {}: {} in {}", pos_ + 1, what, quoted(text_));
  }

  std::string parse_string(const char* what) {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail_here(fmt::format("expected {}", what));
    const size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string::npos) fail_here("unterminated string");
    std::string s = text_.substr(pos_ + 1, end - pos_ - 1);
    if (s.find('\\') != std::string::npos) fail_here("escapes in strings are not supported");
    pos_ = end + 1;
    return s;
  }

  bool parse_bool() {
    for (const bool value : {true, false}) {
      const std::string word = value ? "True" : "False";
      if (text_.compare(pos_, word.size(), word) == 0) {
        pos_ += word.size();
        return value;
      }
    }
    fail_here("expected True or False");
  }

  int64_t parse_int() {
    if (peek() < '0' || peek() > '9') fail_here("expected a non-negative integer");
    uint64_t v = 0;
    while (peek() >= '0' && peek() <= '9') {
      v = v * 10 + static_cast<uint64_t>(peek() - '0');
      if (v > static_cast<uint64_t>(INT64_MAX)) fail_here("dimension does not fit in 64 bits");
      ++pos_;
    }
    eat('L');  // Python 2 long literal
    return static_cast<int64_t>(v);
  }

  // A tuple: "()", "(3,)", "(3, 4)", "(3, 4,)". "(3)" is an int in Python, not a tuple, and numpy refuses it.
  Shape parse_shape() {
    if (!eat('(')) fail_here("expected a tuple for 'shape'");
    Shape shape;
    bool trailing_comma = false;
    while (true) {
      skip_space();
      if (eat(')')) break;
      shape.push_back(parse_int());
      if (shape.size() > kMaxDims) fail_here(fmt::format("more than {} dimensions", kMaxDims));
      skip_space();
      trailing_comma = eat(',');
      if (!trailing_comma) {
        skip_space();
        if (!eat(')')) fail_here("expected ',' or ')' in the shape");
        break;
      }
    }
    if (shape.size() == 1 && !trailing_comma) fail_here("a 1-d shape is written (n,), not (n)");
    return shape;
  }

  void set_dtype(const std::string& descr, NpyHeader& header) {
    const char order = descr.empty() ? '\0' : descr[0];
    const std::string kind_size = descr.size() > 1 ? descr.substr(1) : "";
    if (!kind_size.empty() && kind_size[0] == 'O')
      fail(subject_, "object arrays (descr '{}') hold pickled Python objects and cannot be read", quoted(descr));
    const auto dtype = dtype_from_numpy(kind_size);
    if ((order != '<' && order != '>' && order != '|' && order != '=') || !dtype)
      fail(subject_,
           "unsupported dtype '{}' (readable: <f8, <f4, <f2, <i8, <i4, <i2, |i1, |u1, |b1, or big-endian '>')",
           quoted(descr));
    const size_t itemsize = dtype_size(*dtype);
    if (order == '|' && itemsize > 1) fail(subject_, "dtype '{}' has no byte order but {} bytes", descr, itemsize);
    header.dtype = *dtype;
    header.big_endian = order == '>' && itemsize > 1;  // '=' is native order: little on every supported host
  }

  std::string text_;
  const std::string& subject_;
  size_t pos_ = 0;
};

template <size_t N>
void fortran_to_c(const Shape& shape, const uint8_t* in, uint8_t* out) {
  // Walk the output in C order with an odometer, stepping through the input with Fortran strides.
  const size_t ndim = shape.size();
  std::vector<uint64_t> stride(ndim, 1), index(ndim, 0);
  uint64_t numel = 1;
  for (size_t j = 0; j < ndim; ++j) {
    stride[j] = numel;
    numel *= static_cast<uint64_t>(shape[j]);
  }
  uint64_t src = 0;
  for (uint64_t i = 0; i < numel; ++i) {
    std::memcpy(out + i * N, in + src * N, N);
    for (size_t j = ndim; j-- > 0;) {
      if (++index[j] < static_cast<uint64_t>(shape[j])) {
        src += stride[j];
        break;
      }
      src -= stride[j] * (index[j] - 1);
      index[j] = 0;
    }
  }
}

std::string shape_repr(const Shape& shape) {  // Python's repr of the tuple
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

}  // namespace

uint64_t npy_data_offset(const uint8_t* data, size_t size, const std::string& subject) {
  if (size == 0) fail(subject, "empty file, not a .npy array");
  if (std::memcmp(data, kMagic, std::min(size, kMagicBytes)) != 0)
    fail(subject, "not a .npy file (it does not start with \\x93NUMPY)");
  if (size < kMagicBytes + 4) fail(subject, "truncated: {} bytes, too short for a .npy header", size);
  const int major = data[6], minor = data[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    fail(subject, "unsupported .npy version {}.{} (known: 1.0, 2.0, 3.0)", major, minor);
  const size_t length_bytes = major == 1 ? 2 : 4;
  if (size < 8 + length_bytes) fail(subject, "truncated: {} bytes, too short for a .npy header", size);
  const uint64_t header_bytes = load_le(data + 8, length_bytes);
  if (header_bytes > kNpyMaxHeaderBytes)
    fail(subject, "header length {} exceeds the {}-byte limit", header_bytes, kNpyMaxHeaderBytes);
  return 8 + length_bytes + header_bytes;
}

NpyHeader parse_npy_header(const uint8_t* data, size_t size, const std::string& subject) {
  NpyHeader header;
  header.data_offset = npy_data_offset(data, size, subject);
  header.major_version = data[6];
  if (size < header.data_offset)
    fail(subject, "truncated: the header needs {} bytes but only {} are present", header.data_offset, size);
  const size_t start = header.major_version == 1 ? 10 : 12;
  std::string text(reinterpret_cast<const char*>(data) + start, header.data_offset - start);
  HeaderParser(std::move(text), subject).parse(header);
  header.data_bytes = checked_mul(checked_numel(header.shape, subject), dtype_size(header.dtype), subject);
  return header;
}

void byte_swap(uint8_t* data, uint64_t count, size_t itemsize) {
  if (itemsize < 2) return;
  for (uint64_t i = 0; i < count; ++i) std::reverse(data + i * itemsize, data + (i + 1) * itemsize);
}

void npy_to_c_order(const NpyHeader& header, const uint8_t* stored, uint8_t* out) {
  const size_t itemsize = dtype_size(header.dtype);
  if (header.fortran_order && header.shape.size() >= 2) {
    switch (itemsize) {
      case 1:
        fortran_to_c<1>(header.shape, stored, out);
        break;
      case 2:
        fortran_to_c<2>(header.shape, stored, out);
        break;
      case 4:
        fortran_to_c<4>(header.shape, stored, out);
        break;
      case 8:
        fortran_to_c<8>(header.shape, stored, out);
        break;
      default:
        LATENTLAB_ASSERT(false, "itemsize {}", itemsize);
    }
  } else if (header.data_bytes) {
    std::memcpy(out, stored, header.data_bytes);
  }
  if (header.big_endian) byte_swap(out, header.data_bytes / itemsize, itemsize);
}

Array parse_npy(const uint8_t* data, size_t size, const std::string& subject, std::shared_ptr<const void> owner) {
  const NpyHeader header = parse_npy_header(data, size, subject);
  const uint64_t total = checked_add(header.data_offset, header.data_bytes, subject);
  if (size < total)
    fail(subject, "truncated: {} {} needs {} data bytes but {} follow the header", numpy_descr(header.dtype),
         shape_string(header.shape), header.data_bytes, size - header.data_offset);
  if (size > total) fail(subject, "{} unexpected bytes after the array data", size - total);
  const uint8_t* stored = data + header.data_offset;
  const bool as_stored = !header.big_endian && !(header.fortran_order && header.shape.size() >= 2);
  if (as_stored && owner) {
    Array a;
    a.dtype = header.dtype;
    a.shape = header.shape;
    a.data = stored;
    a.nbytes = header.data_bytes;
    a.owner = std::move(owner);
    return a;
  }
  auto buffer = std::make_shared<std::vector<uint8_t>>(header.data_bytes);
  npy_to_c_order(header, stored, buffer->data());
  return Array::from_buffer(header.dtype, header.shape, std::move(buffer));
}

Array parse_npy(const std::vector<uint8_t>& bytes, const std::string& subject) {
  return parse_npy(bytes.data(), bytes.size(), subject);
}

Array read_npy(const std::string& path) {
  auto file = MappedFile::open(path);
  return parse_npy(file->data(), file->size(), path, file);
}

std::string npy_header_bytes(const Array& array, const std::string& subject) {
  const char* descr = numpy_descr(array.dtype);
  if (!descr)
    fail(subject, "{} arrays have no numpy dtype; convert to float32 before saving as .npy/.npz",
         dtype_name(array.dtype));
  std::string dict =
      fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr, shape_repr(array.shape));
  if (!array.shape.empty()) dict.append(kGrowthAxisMaxDigits - std::to_string(array.shape[0]).size(), ' ');
  // Pad with spaces and end with '\n' so that the data start on a 64-byte boundary; an already aligned
  // header still gets a full 64 bytes of padding, as np.save does.
  const size_t with_newline = dict.size() + 1;
  size_t preamble = 10;
  size_t padding = 64 - (preamble + with_newline) % 64;
  int major = 1;
  if (with_newline + padding > 65535) {
    major = 2;
    preamble = 12;
    padding = 64 - (preamble + with_newline) % 64;
  }
  const uint64_t header_bytes = with_newline + padding;
  std::string out(kMagic, kMagicBytes);
  out += static_cast<char>(major);
  out += '\0';
  for (size_t i = 0; i < preamble - 8; ++i) out += static_cast<char>((header_bytes >> (8 * i)) & 0xff);
  out += dict;
  out.append(padding, ' ');
  out += '\n';
  return out;
}

std::vector<uint8_t> serialize_npy(const Array& array, const std::string& subject) {
  LATENTLAB_ASSERT(array.nbytes == static_cast<uint64_t>(array.numel()) * dtype_size(array.dtype),
                   "array of {} bytes for {} {}", array.nbytes, dtype_name(array.dtype), shape_string(array.shape));
  const std::string header = npy_header_bytes(array, subject);
  std::vector<uint8_t> out(header.begin(), header.end());
  out.insert(out.end(), array.data, array.data + array.nbytes);
  return out;
}

void write_npy(const std::string& path, const Array& array) {
  LATENTLAB_ASSERT(array.nbytes == static_cast<uint64_t>(array.numel()) * dtype_size(array.dtype),
                   "array of {} bytes for {} {}", array.nbytes, dtype_name(array.dtype), shape_string(array.shape));
  const std::string header = npy_header_bytes(array, path);
  AtomicFile file(path);
  file.write(header);
  file.write(array.data, array.nbytes);
  file.commit();
}

}  // namespace latentlab::io
