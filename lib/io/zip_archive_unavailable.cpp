// ZipReader/ZipWriter in a build without libzip (cmake/Dependencies.cmake): every zip container (.npz,
// zip-format .pth) stops at opening with one line naming the file, so the code above them (npz.cpp, the metrics
// statistics and shard files, ...) builds unchanged and needs no guards of its own.
#include "io/zip_archive.h"

#include "core/error.h"

namespace latentlab::io {
namespace {

[[noreturn]] void no_libzip(const std::string& path) {
  fail(path, "zip archives (.npz, zip-format .pth) need libzip: install libzip-dev and reconfigure");
}

}  // namespace

struct ZipReader::Handle {};

ZipReader::ZipReader(const std::string& path) : path_(path) {
  no_libzip(path);
}
ZipReader::~ZipReader() = default;
// Unreachable: no ZipReader can be constructed.
bool ZipReader::contains(const std::string&) const {
  no_libzip(path_);
}
uint64_t ZipReader::size_of(const std::string&) const {
  no_libzip(path_);
}
std::vector<uint8_t> ZipReader::read(const std::string&, uint64_t) const {
  no_libzip(path_);
}
void ZipReader::read_range(const std::string&, uint64_t, void*, uint64_t) const {
  no_libzip(path_);
}
int64_t ZipReader::index_of(const std::string&) const {
  no_libzip(path_);
}

ZipWriter::ZipWriter(std::string path, bool compress) : path_(std::move(path)), compress_(compress) {
  no_libzip(path_);
}
ZipWriter::~ZipWriter() = default;
void ZipWriter::add(const std::string&, std::vector<uint8_t>) {
  no_libzip(path_);
}
void ZipWriter::commit() {
  no_libzip(path_);
}

}  // namespace latentlab::io
