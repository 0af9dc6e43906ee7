// .npz reading and writing over libzip; the format and the reasons for this API are in npz.h.
#include "io/npz.h"

#include <algorithm>
#include <filesystem>
#include <new>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (moved here in fmt 11)

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/zip_archive.h"

namespace latentlab::io {
namespace {

constexpr const char* kSuffix = ".npy";
// Deflate cannot expand data more than 1032-fold, so a member claiming more than that much of the archive's
// size lies; refusing it keeps a forged size field from turning into a huge allocation.
constexpr uint64_t kMaxDeflateRatio = 1032;

// Runs a .npy parse step and reports its errors as errors of member `zip_name` of the archive `path`.
template <typename F>
auto in_member(const std::string& path, const std::string& zip_name, F&& step) {
  try {
    return step();
  } catch (const UserError& e) {
    fail(path, "member '{}': {}", zip_name, e.problem());
  } catch (const std::bad_alloc&) {
    fail(path, "member '{}': not enough memory to read it", zip_name);
  }
}

}  // namespace

NpzReader::NpzReader(const std::string& path) : path_(path), zip_(std::make_unique<ZipReader>(path)) {
  std::error_code ec;
  const uint64_t archive_bytes = std::filesystem::file_size(path, ec);
  if (ec) fail(path, "cannot read its size: {}", ec.message());
  for (const auto& zip_name : zip_->names()) {
    const size_t n = zip_name.size();
    if (n < 4 || zip_name.compare(n - 4, 4, kSuffix) != 0)
      fail(path, "member '{}' is not a .npy file (an .npz archive holds only <name>.npy members)", zip_name);
    const std::string name = zip_name.substr(0, n - 4);
    if (members_.count(name)) fail(path, "member '{}' appears twice", zip_name);

    const uint64_t size = zip_->size_of(zip_name);
    if (size / kMaxDeflateRatio > archive_bytes)
      fail(path, "member '{}' claims {} bytes, more than an archive of {} bytes can hold", zip_name, size,
           archive_bytes);
    std::vector<uint8_t> prefix(std::min<uint64_t>(size, kNpyPreambleBytes));
    zip_->read_range(zip_name, 0, prefix.data(), prefix.size());
    const uint64_t data_offset =
        in_member(path, zip_name, [&] { return npy_data_offset(prefix.data(), prefix.size(), zip_name); });
    if (data_offset > size)
      fail(path, "member '{}' is truncated: its {} bytes end inside the {}-byte .npy header", zip_name, size,
           data_offset);
    std::vector<uint8_t> head(data_offset);
    zip_->read_range(zip_name, 0, head.data(), head.size());
    Member m{zip_name, in_member(path, zip_name, [&] { return parse_npy_header(head.data(), head.size(), zip_name); })};
    const uint64_t expected = checked_add(m.header.data_offset, m.header.data_bytes, path);
    if (size != expected) {
      std::string descr = numpy_descr(m.header.dtype);
      if (m.header.big_endian) descr[0] = '>';
      fail(path, "member '{}' holds {} bytes but its header announces {} {} ({} bytes with the header)", zip_name, size,
           descr, shape_string(m.header.shape), expected);
    }
    names_.push_back(name);
    members_.emplace(name, std::move(m));
  }
}

NpzReader::~NpzReader() = default;

bool NpzReader::contains(const std::string& name) const {
  return members_.count(name) > 0;
}

const NpzReader::Member& NpzReader::member(const std::string& name) const {
  const auto it = members_.find(name);
  if (it == members_.end()) {
    const size_t shown = std::min<size_t>(names_.size(), 12);
    fail(path_, "no array '{}' in the archive (it holds: {}{})", name,
         fmt::join(names_.begin(), names_.begin() + static_cast<std::ptrdiff_t>(shown), ", "),
         shown < names_.size() ? ", ..." : "");
  }
  return it->second;
}

const NpyHeader& NpzReader::info(const std::string& name) const {
  return member(name).header;
}

Array NpzReader::read(const std::string& name) const {
  const Member& m = member(name);
  return in_member(path_, m.zip_name, [&] {
    const uint64_t size = m.header.data_offset + m.header.data_bytes;  // checked when the archive was opened
    auto bytes = std::make_shared<std::vector<uint8_t>>(zip_->read(m.zip_name, size));
    return parse_npy(bytes->data(), bytes->size(), m.zip_name, bytes);
  });
}

Array NpzReader::read_rows(const std::string& name, int64_t first_row, int64_t count) const {
  const Member& m = member(name);
  const NpyHeader& h = m.header;
  if (h.shape.empty()) fail(path_, "array '{}' is 0-dimensional: it has no rows to read", name);
  if (h.fortran_order && h.shape.size() >= 2)
    fail(path_, "array '{}' is stored in Fortran order: its rows are not contiguous, read it whole", name);
  const int64_t rows = h.shape[0];
  if (first_row < 0 || count < 0 || first_row > rows || count > rows - first_row)
    fail(path_, "array '{}': rows [{}, {} + {}) are outside its {} rows", name, first_row, first_row, count, rows);
  Shape shape = h.shape;
  shape[0] = count;
  // With zero rows the other dimensions are unchecked by numel: check them here.
  const Shape row_shape(h.shape.begin() + 1, h.shape.end());
  const uint64_t row_bytes = in_member(path_, m.zip_name, [&] {
    return checked_mul(checked_numel(row_shape, m.zip_name), dtype_size(h.dtype), m.zip_name);
  });
  const uint64_t offset = h.data_offset + static_cast<uint64_t>(first_row) * row_bytes;  // within the checked size
  const uint64_t bytes = static_cast<uint64_t>(count) * row_bytes;
  auto buffer = in_member(path_, m.zip_name, [&] { return std::make_shared<std::vector<uint8_t>>(bytes); });
  if (bytes > 0) zip_->read_range(m.zip_name, offset, buffer->data(), bytes);
  if (h.big_endian) byte_swap(buffer->data(), bytes / dtype_size(h.dtype), dtype_size(h.dtype));
  return Array::from_buffer(h.dtype, std::move(shape), std::move(buffer));
}

NamedArrays read_npz(const std::string& path) {
  NpzReader reader(path);
  NamedArrays arrays;
  for (const auto& name : reader.names()) arrays.emplace_back(name, reader.read(name));
  return arrays;
}

void write_npz(const std::string& path, const NamedArrays& arrays, bool compressed) {
  if (arrays.empty()) {
    // libzip writes no file at all for an archive without entries; np.savez() writes the bare end record.
    write_file_atomic(path, std::string("PK\x05\x06") + std::string(18, '\0'));
    return;
  }
  ZipWriter writer(path, compressed);
  std::set<std::string> names;
  for (const auto& [name, array] : arrays) {
    if (!names.insert(name).second) fail(path, "array '{}' appears twice", name);
    const std::string zip_name = name + kSuffix;
    writer.add(zip_name, in_member(path, zip_name, [&] { return serialize_npy(array, zip_name); }));
  }
  writer.commit();
}

}  // namespace latentlab::io
