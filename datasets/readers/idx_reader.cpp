#include "datasets/readers/idx_reader.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "core/error.h"
#include "core/strings.h"
#include "io/mapped_file.h"

#ifdef LATENTLAB_WITH_ZLIB
#include <zlib.h>
#endif

namespace latentlab::datasets {

// One IDX file's bytes: a map of a raw file, or the inflated contents of a .gz file.
namespace detail {
struct IdxFile {
  std::shared_ptr<const io::MappedFile> mapped;
  std::vector<uint8_t> inflated;
  std::vector<uint32_t> dims;
  size_t header_bytes = 0;
  uint64_t total_bytes = 0;  // header + data, as the header announces
  const uint8_t* data() const { return (mapped ? mapped->data() : inflated.data()) + header_bytes; }
};
}  // namespace detail

namespace {

using detail::IdxFile;

constexpr int kNumClasses = 10;

uint32_t big_endian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// Reads the header from the first `size` (>= 4) bytes into `file`; returns false while the dimensions are not all
// there yet. The magic (0x00 0x00 type ndim) must be `magic` exactly, so only unsigned bytes get this far.
bool parse_header(const uint8_t* bytes, size_t size, uint32_t magic, const std::string& path, IdxFile& file) {
  if (big_endian32(bytes) != magic) fail(path, "wrong magic 0x{:08x} (expected 0x{:08x})", big_endian32(bytes), magic);
  const size_t ndim = bytes[3];
  file.header_bytes = 4 + 4 * ndim;
  if (size < file.header_bytes) return false;
  file.dims.clear();
  uint64_t elements = 1;
  for (size_t d = 0; d < ndim; ++d) {
    file.dims.push_back(big_endian32(bytes + 4 + 4 * d));
    elements = checked_mul(elements, file.dims.back(), path);
  }
  file.total_bytes = checked_add(file.header_bytes, elements, path);
  return true;
}

void check_size(const std::string& path, uint64_t size, uint64_t announced) {
  if (size < announced) fail(path, "truncated: {} bytes, but the header announces {}", size, announced);
  if (size > announced) fail(path, "{} bytes, but the header announces {} (trailing data)", size, announced);
}

#ifdef LATENTLAB_WITH_ZLIB
// Inflates in chunks rather than allocating what the header claims, so a lying header costs nothing, and stops
// one byte past the announced size so that trailing data is detected without inflating all of it.
void load_gzip(const std::string& path, uint32_t magic, IdxFile& file) {
  if (!std::filesystem::exists(path)) fail(path, "no such file");
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) fail(path, "cannot open");
  struct Closer {
    gzFile f;
    ~Closer() { gzclose(f); }
  } closer{gz};
  // zlib reads non-gzip input transparently; a .gz name that is not gzip is more likely a mistake.
  if (gzdirect(gz)) fail(path, "not a gzip file");
  constexpr uint64_t kChunk = uint64_t{1} << 20;
  std::vector<uint8_t>& out = file.inflated;
  bool have_header = false;
  uint64_t limit = 4;  // bytes wanted so far: the magic, then the dimensions, then header + data + 1
  for (;;) {
    if (out.size() >= limit) {
      if (have_header) break;
      have_header = parse_header(out.data(), out.size(), magic, path, file);
      limit = have_header ? file.total_bytes + 1 : file.header_bytes;
      continue;
    }
    const size_t old = out.size();
    out.resize(old + static_cast<size_t>(std::min(kChunk, limit - old)));
    const int got = gzread(gz, out.data() + old, static_cast<unsigned>(out.size() - old));
    int err = Z_OK;
    const char* message = gzerror(gz, &err);
    if (got < 0 || (err != Z_OK && err != Z_STREAM_END)) fail(path, "corrupt or truncated gzip data: {}", message);
    out.resize(old + static_cast<size_t>(got));
    if (got == 0) break;
  }
  if (!have_header) fail(path, "truncated: {} bytes, shorter than its IDX header", out.size());
}
#endif

std::unique_ptr<IdxFile> load(const std::string& path, uint32_t magic) {
  auto file = std::make_unique<IdxFile>();
  uint64_t size = 0;
  if (ends_with(path, ".gz")) {
#ifdef LATENTLAB_WITH_ZLIB
    load_gzip(path, magic, *file);
    size = file->inflated.size();
#else
    fail(path, "gzipped IDX files need zlib, which this build lacks: gunzip the file or rebuild with zlib1g-dev");
#endif
  } else {
    file->mapped = io::MappedFile::open(path);
    size = file->mapped->size();
    if (size < 4 || !parse_header(file->mapped->data(), size, magic, path, *file))
      fail(path, "truncated: {} bytes, shorter than its IDX header", size);
  }
  check_size(path, size, file->total_bytes);
  return file;
}

// PREFIX<suffix>, raw preferred over .gz; names both candidates when neither exists.
std::string find_file(const std::string& prefix, const std::string& suffix) {
  const std::string raw = prefix + suffix;
  if (std::filesystem::exists(raw)) return raw;
  if (std::filesystem::exists(raw + ".gz")) return raw + ".gz";
  fail(raw, "no such file (nor {}.gz)", raw);
}

bool contains_fashion(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text.find("fashion") != std::string::npos;
}

}  // namespace

bool idx_gzip_supported() {
#ifdef LATENTLAB_WITH_ZLIB
  return true;
#else
  return false;
#endif
}

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

std::unique_ptr<IdxReader> IdxReader::open(const std::string& prefix) {
  const std::string images = find_file(prefix, "-images-idx3-ubyte");  // named first when both are missing
  return std::make_unique<IdxReader>(images, find_file(prefix, "-labels-idx1-ubyte"), "idx:" + prefix);
}

std::unique_ptr<IdxReader> IdxReader::open(const std::string& directory, const std::string& split) {
  std::string stem = split;
  if (split == "test") stem = "t10k";
  if (stem != "train" && stem != "t10k")
    fail_usage("split", "'{}' is not an IDX split (expected train, test or t10k)", split);
  return open(directory + "/" + stem);
}

IdxReader::IdxReader(const std::string& images_path, const std::string& labels_path, const std::string& spec)
    : images_path_(images_path), labels_path_(labels_path) {
  images_ = load(images_path, 0x00000803);
  labels_ = load(labels_path, 0x00000801);
  const std::vector<uint32_t>& dims = images_->dims;
  if (dims[0] == 0) fail(images_path, "holds no images");
  if (dims[1] == 0 || dims[2] == 0) fail(images_path, "empty {}x{} images", dims[1], dims[2]);
  if (dims[1] > 65535 || dims[2] > 65535) fail(images_path, "{}x{} images are larger than 65535", dims[1], dims[2]);
  if (labels_->dims[0] != dims[0])
    fail(labels_path, "holds {} labels but {} holds {} images", labels_->dims[0], images_path, dims[0]);
  const uint8_t* labels = labels_->data();
  for (uint32_t i = 0; i < dims[0]; ++i)
    if (labels[i] >= kNumClasses)
      fail(labels_path, "label {} of item {} is outside [0, {})", labels[i], i, kNumClasses);
  rows_ = static_cast<int>(dims[1]);
  cols_ = static_cast<int>(dims[2]);
  const bool fashion = contains_fashion(images_path);
  info_.spec = spec;
  info_.description = fmt::format("{} IDX: {} {}x{} grey images, {} classes ({})", fashion ? "Fashion-MNIST" : "MNIST",
                                  dims[0], rows_, cols_, kNumClasses, images_path);
  info_.size = dims[0];
  if (fashion) {
    info_.class_names = fashion_mnist_class_names();
  } else {
    for (int c = 0; c < kNumClasses; ++c) info_.class_names.push_back(std::to_string(c));
  }
}

IdxReader::~IdxReader() = default;

Example IdxReader::get(int64_t index) const {
  check_index(*this, index);
  const size_t pixels = static_cast<size_t>(rows_) * static_cast<size_t>(cols_);
  const uint8_t* grey = images_->data() + static_cast<size_t>(index) * pixels;
  Example example;
  example.image.height = rows_;
  example.image.width = cols_;
  example.image.pixels.resize(pixels * 3);
  uint8_t* rgb = example.image.pixels.data();
  for (size_t i = 0; i < pixels; ++i) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = grey[i];
  example.label = labels_->data()[index];
  example.key = "index:" + std::to_string(index);
  return example;
}

}  // namespace latentlab::datasets
