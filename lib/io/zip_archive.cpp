#include "io/zip_archive.h"

#include <zip.h>

#include <algorithm>

#include "core/error.h"
#include "io/atomic_file.h"

namespace latentlab::io {

struct ZipReader::Handle {
  zip_t* archive = nullptr;
  ~Handle() {
    if (archive) zip_discard(archive);
  }
};

ZipReader::ZipReader(const std::string& path) : path_(path), handle_(std::make_unique<Handle>()) {
  int error = 0;
  handle_->archive = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &error);
  if (!handle_->archive) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, error);
    const std::string message = zip_error_strerror(&ze);
    zip_error_fini(&ze);
    fail(path, "not a readable zip archive: {}", message);
  }
  const zip_int64_t n = zip_get_num_entries(handle_->archive, 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* name = zip_get_name(handle_->archive, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW);
    if (!name) fail(path, "entry {} has no readable name", i);
    names_.emplace_back(name);
  }
}

ZipReader::~ZipReader() = default;

bool ZipReader::contains(const std::string& name) const {
  return std::find(names_.begin(), names_.end(), name) != names_.end();
}

int64_t ZipReader::index_of(const std::string& name) const {
  const auto it = std::find(names_.begin(), names_.end(), name);
  if (it == names_.end()) fail(path_, "no entry '{}' in the archive", name);
  return it - names_.begin();
}

uint64_t ZipReader::size_of(const std::string& name) const {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(handle_->archive, static_cast<zip_uint64_t>(index_of(name)), 0, &st) != 0 ||
      !(st.valid & ZIP_STAT_SIZE))
    fail(path_, "entry '{}': cannot read its size", name);
  return st.size;
}

std::vector<uint8_t> ZipReader::read(const std::string& name, uint64_t max_bytes) const {
  const uint64_t size = size_of(name);
  if (size > max_bytes) fail(path_, "entry '{}' claims {} bytes, more than the {} allowed", name, size, max_bytes);
  std::vector<uint8_t> bytes(size);
  read_range(name, 0, bytes.data(), size);
  return bytes;
}

void ZipReader::read_range(const std::string& name, uint64_t offset, void* out, uint64_t count) const {
  const uint64_t size = size_of(name);
  if (offset > size || count > size - offset)
    fail(path_, "entry '{}': range [{}, +{}) is past its {} bytes", name, offset, count, size);
  const auto index = static_cast<zip_uint64_t>(index_of(name));
  zip_stat_t st;
  zip_stat_init(&st);
  const bool stored = zip_stat_index(handle_->archive, index, 0, &st) == 0 && (st.valid & ZIP_STAT_COMP_METHOD) &&
                      st.comp_method == ZIP_CM_STORE;
  zip_file_t* file = zip_fopen_index(handle_->archive, index, 0);
  if (!file) fail(path_, "entry '{}': cannot open: {}", name, zip_strerror(handle_->archive));
  auto close = std::unique_ptr<zip_file_t, int (*)(zip_file_t*)>(file, &zip_fclose);
  // Only stored entries can seek (a failed seek also poisons the handle); compressed ones are
  // decompressed from their start and the prefix dropped.
  if (offset > 0 && (!stored || zip_fseek(file, static_cast<zip_int64_t>(offset), SEEK_SET) != 0)) {
    if (stored) fail(path_, "entry '{}': cannot seek to byte {}", name, offset);
    std::vector<uint8_t> skip(1 << 16);
    for (uint64_t left = offset; left > 0;) {
      const auto chunk = std::min<uint64_t>(left, skip.size());
      if (zip_fread(file, skip.data(), chunk) != static_cast<zip_int64_t>(chunk))
        fail(path_, "entry '{}' is truncated or corrupt", name);
      left -= chunk;
    }
  }
  auto* p = static_cast<uint8_t*>(out);
  for (uint64_t done = 0; done < count;) {
    const zip_int64_t got = zip_fread(file, p + done, count - done);
    if (got <= 0) fail(path_, "entry '{}' is truncated or corrupt ({})", name, zip_file_strerror(file));
    done += static_cast<uint64_t>(got);
  }
  // Reading to the end makes libzip verify the CRC; a bad CRC shows up as a read error here.
  if (offset + count == size) {
    uint8_t extra;
    if (zip_fread(file, &extra, 1) < 0) fail(path_, "entry '{}' is corrupt ({})", name, zip_file_strerror(file));
  }
}

ZipWriter::ZipWriter(std::string path, bool compress) : path_(std::move(path)), compress_(compress) {}
ZipWriter::~ZipWriter() = default;

void ZipWriter::add(const std::string& name, std::vector<uint8_t> bytes) {
  entries_.emplace_back(name, std::make_shared<std::vector<uint8_t>>(std::move(bytes)));
}

void ZipWriter::commit() {
  AtomicFile out(path_);
  out.close_handle();
  int error = 0;
  zip_t* archive = zip_open(out.temp_path().c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (!archive) fail(path_, "cannot create zip archive (libzip error {})", error);
  for (const auto& [name, bytes] : entries_) {
    zip_source_t* source = zip_source_buffer(archive, bytes->data(), bytes->size(), 0);
    const zip_int64_t index = source ? zip_file_add(archive, name.c_str(), source, ZIP_FL_ENC_UTF_8) : -1;
    if (index < 0) {
      if (source) zip_source_free(source);
      const std::string message = zip_strerror(archive);
      zip_discard(archive);
      fail(path_, "cannot add '{}': {}", name, message);
    }
    zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), compress_ ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
  }
  if (zip_close(archive) != 0) {
    const std::string message = zip_strerror(archive);
    zip_discard(archive);
    fail(path_, "cannot write zip archive: {}", message);
  }
  out.commit();
}

}  // namespace latentlab::io
