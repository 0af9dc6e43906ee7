// ZipReader/ZipWriter in a build without libzip (cmake/Dependencies.cmake): every zip container (.npz,
// zip-format .pth) stops at opening with one line naming the file, so the code above them (npz.cpp, pth.cpp,
// weights.cpp, the statistics, feature and image-batch readers, sample merge, ...) builds unchanged and needs no
// guards of its own. This file is the one place that says what a build without libzip does with a zip file.
#include "io/zip_archive.h"

#include "core/error.h"
#include "core/strings.h"

namespace latentlab::io {
namespace {

constexpr const char* kNeedsLibzip =
    "zip archives (.npz, zip-format .pth) need libzip: install libzip-dev and reconfigure";

[[noreturn]] void no_libzip(const std::string& path) {
  fail(path, "{}", kNeedsLibzip);
}

// Reading: a torch.save file can also be re-saved in the legacy (non-zip) format, which every build reads;
// numpy has no such option, so an .npz gets the plain line.
[[noreturn]] void no_libzip_to_read(const std::string& path) {
  if (ends_with(path, ".npz")) no_libzip(path);
  fail(path, "{}, or re-save a .pth with torch.save(..., _use_new_zipfile_serialization=False)", kNeedsLibzip);
}

}  // namespace

struct ZipReader::Handle {};

ZipReader::ZipReader(const std::string& path) : path_(path) {
  no_libzip_to_read(path);
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
