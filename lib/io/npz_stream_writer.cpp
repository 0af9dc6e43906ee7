// The zip records written here (PKWARE APPNOTE 6.3.x, sections 4.3.7 local header, 4.3.12 central
// directory header, 4.3.14-4.3.16 ZIP64 end records, 4.5.3 ZIP64 extra field); all little-endian.
#include "io/npz_stream_writer.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <set>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/npy.h"

namespace latentlab::io {
namespace {

constexpr uint32_t kLocalHeader = 0x04034b50, kCentralHeader = 0x02014b50, kEnd = 0x06054b50;
constexpr uint32_t kZip64End = 0x06064b50, kZip64Locator = 0x07064b50;
constexpr uint16_t kVersion = 20, kVersionZip64 = 45;
constexpr uint16_t kDosDate = (0 << 9) | (1 << 5) | 1;  // 1980-01-01, the earliest DOS date; time 00:00
constexpr uint64_t kMax32 = 0xffffffffULL;
constexpr size_t kLocalCrcOffset = 14;  // from the start of a local header

// CRC-32 (the zip/zlib polynomial 0xEDB88320, reflected), table-driven.
const std::array<uint32_t, 256>& crc_table() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320U ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

uint32_t crc32_update(uint32_t crc, const uint8_t* data, size_t size) {
  const auto& table = crc_table();
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

// Little-endian record builder.
struct Record {
  std::string bytes;
  Record& u16(uint64_t v) { return put(v, 2); }
  Record& u32(uint64_t v) { return put(v, 4); }
  Record& u64(uint64_t v) { return put(v, 8); }
  Record& text(const std::string& s) {
    bytes += s;
    return *this;
  }
  Record& put(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bytes += static_cast<char>((v >> (8 * i)) & 0xff);
    return *this;
  }
};

}  // namespace

NpzStreamWriter::NpzStreamWriter(const std::string& path, bool force_zip64)
    : path_(path), force_zip64_(force_zip64), file_(std::make_unique<AtomicFile>(path)) {
  file_->close_handle();
  out_ = std::fopen(file_->temp_path().c_str(), "w+b");
  if (!out_) fail(path_, "cannot write: {}", std::strerror(errno));
}

NpzStreamWriter::~NpzStreamWriter() {
  if (out_) std::fclose(out_);  // the AtomicFile then removes the unfinished archive
}

bool NpzStreamWriter::needs_zip64(uint64_t size, uint64_t offset) const {
  return force_zip64_ || size >= kMax32 || offset >= kMax32;
}

void NpzStreamWriter::write(const void* data, size_t bytes) {
  if (bytes > 0 && std::fwrite(data, 1, bytes, out_) != bytes) fail(path_, "cannot write: {}", std::strerror(errno));
  offset_ += bytes;
}

void NpzStreamWriter::write_at(uint64_t offset, const void* data, size_t bytes) {
  if (fseeko(out_, static_cast<off_t>(offset), SEEK_SET) != 0 || std::fwrite(data, 1, bytes, out_) != bytes ||
      fseeko(out_, static_cast<off_t>(offset_), SEEK_SET) != 0)
    fail(path_, "cannot write: {}", std::strerror(errno));
}

void NpzStreamWriter::begin(const std::string& name, DType dtype, const Shape& shape) {
  LATENTLAB_ASSERT(!open_member_, "{}: member {} begun before the previous one was complete", path_, name);
  const std::string zip_name = name + ".npy";
  for (const Member& m : members_)
    if (m.zip_name == zip_name) fail(path_, "array '{}' appears twice", name);
  Array announced;
  announced.dtype = dtype;
  announced.shape = shape;
  const std::string header = npy_header_bytes(announced, path_ + " member '" + zip_name + "'");
  const uint64_t data_bytes = checked_mul(checked_numel(shape, path_), dtype_size(dtype), path_);
  Member m{zip_name, offset_, checked_add(header.size(), data_bytes, path_), 0};
  const bool zip64 = needs_zip64(m.size, 0);  // the local header carries sizes only
  Record r;
  r.u32(kLocalHeader).u16(zip64 ? kVersionZip64 : kVersion).u16(0).u16(0).u16(0).u16(kDosDate).u32(0);
  r.u32(zip64 ? kMax32 : m.size).u32(zip64 ? kMax32 : m.size).u16(zip_name.size()).u16(zip64 ? 20 : 0);
  r.text(zip_name);
  if (zip64) r.u16(1).u16(16).u64(m.size).u64(m.size);
  write(r.bytes.data(), r.bytes.size());
  members_.push_back(m);
  open_member_ = true;
  remaining_ = m.size;
  append(header.data(), header.size());
}

void NpzStreamWriter::append(const void* data, size_t bytes) {
  LATENTLAB_ASSERT(open_member_, "{}: data appended outside a member", path_);
  Member& m = members_.back();
  if (bytes > remaining_)
    fail(path_, "member '{}' receives more than the {} bytes its shape announces", m.zip_name, m.size);
  m.crc = crc32_update(m.crc, static_cast<const uint8_t*>(data), bytes);
  write(data, bytes);
  remaining_ -= bytes;
  if (remaining_ == 0) finish_member();
}

void NpzStreamWriter::add(const std::string& name, const Array& array) {
  begin(name, array.dtype, array.shape);
  if (array.nbytes > 0) append(array);
}

void NpzStreamWriter::finish_member() {
  const Member& m = members_.back();
  Record crc;
  crc.u32(m.crc);
  write_at(m.header_offset + kLocalCrcOffset, crc.bytes.data(), crc.bytes.size());
  open_member_ = false;
}

void NpzStreamWriter::commit() {
  if (open_member_)
    fail(path_, "member '{}' is incomplete: {} of its {} bytes are missing", members_.back().zip_name, remaining_,
         members_.back().size);
  const uint64_t directory_offset = offset_;
  for (const Member& m : members_) {
    const bool big_size = force_zip64_ || m.size >= kMax32, big_offset = force_zip64_ || m.header_offset >= kMax32;
    Record extra;
    if (big_size) extra.u64(m.size).u64(m.size);
    if (big_offset) extra.u64(m.header_offset);
    const bool zip64 = big_size || big_offset;
    Record r;
    r.u32(kCentralHeader).u16(zip64 ? kVersionZip64 : kVersion).u16(zip64 ? kVersionZip64 : kVersion);
    r.u16(0).u16(0).u16(0).u16(kDosDate).u32(m.crc);
    r.u32(big_size ? kMax32 : m.size).u32(big_size ? kMax32 : m.size);
    r.u16(m.zip_name.size()).u16(zip64 ? 4 + extra.bytes.size() : 0).u16(0).u16(0).u16(0).u32(0);
    r.u32(big_offset ? kMax32 : m.header_offset).text(m.zip_name);
    if (zip64) r.u16(1).u16(extra.bytes.size()).text(extra.bytes);
    write(r.bytes.data(), r.bytes.size());
  }
  const uint64_t directory_bytes = offset_ - directory_offset, entries = members_.size();
  const bool zip64_end = force_zip64_ || directory_offset >= kMax32 || directory_bytes >= kMax32 || entries >= 0xffff;
  if (zip64_end) {
    const uint64_t end64_offset = offset_;
    Record r;
    r.u32(kZip64End).u64(44).u16(kVersionZip64).u16(kVersionZip64).u32(0).u32(0);
    r.u64(entries).u64(entries).u64(directory_bytes).u64(directory_offset);
    r.u32(kZip64Locator).u32(0).u64(end64_offset).u32(1);
    write(r.bytes.data(), r.bytes.size());
  }
  Record end;
  end.u32(kEnd).u16(0).u16(0).u16(zip64_end ? 0xffff : entries).u16(zip64_end ? 0xffff : entries);
  end.u32(zip64_end ? kMax32 : directory_bytes).u32(zip64_end ? kMax32 : directory_offset).u16(0);
  write(end.bytes.data(), end.bytes.size());
  const bool flushed = std::fflush(out_) == 0;
  std::fclose(out_);
  out_ = nullptr;
  if (!flushed) fail(path_, "cannot write: {}", std::strerror(errno));
  file_->commit();
}

}  // namespace latentlab::io
