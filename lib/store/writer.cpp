#include "store/writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <ATen/ATen.h>
#include <fmt/ranges.h>  // fmt::join (moved here in fmt 11)
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/version.h"
#include "io/atomic_file.h"
#include "io/mapped_file.h"
#include "io/results_json.h"
#include "store/hdf5_util.h"

namespace latentlab::store {

namespace fs = std::filesystem;

std::string partial_path(const std::string& path) {
  return path + ".partial";
}
std::string record_path(const std::string& path) {
  return path + ".partial.json";
}

namespace {

constexpr const char* kRecordFormat = "latentlab-store-commit";

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

uint64_t size_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

void write_all(int fd, const void* data, uint64_t size, uint64_t offset, const std::string& subject) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(subject, "write failed: {}", std::strerror(errno));
    p += n, size -= static_cast<uint64_t>(n), offset += static_cast<uint64_t>(n);
  }
}

void read_all(int fd, void* data, uint64_t size, uint64_t offset, const std::string& subject) {
  auto* p = static_cast<uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::pread(fd, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      fail(subject, "read failed at byte {}: {}", offset, n == 0 ? "unexpected end of file" : std::strerror(errno));
    p += n, size -= static_cast<uint64_t>(n), offset += static_cast<uint64_t>(n);
  }
}

nlohmann::json layout_json(const FileLayout& layout) {
  nlohmann::json datasets = nlohmann::json::array();
  for (const auto& d : layout.datasets) datasets.push_back({d.name, d.offset, d.row_bytes, d.bytes});
  return {{"file_size", layout.file_size}, {"datasets", datasets}};
}

FileLayout layout_from_json(const nlohmann::json& j) {
  FileLayout layout;
  layout.file_size = j.at("file_size").get<uint64_t>();
  for (const auto& d : j.at("datasets"))
    layout.datasets.push_back(
        {d.at(0).get<std::string>(), d.at(1).get<uint64_t>(), d.at(2).get<uint64_t>(), d.at(3).get<uint64_t>()});
  return layout;
}

bool same_layout(const FileLayout& a, const FileLayout& b) {
  if (a.file_size != b.file_size || a.datasets.size() != b.datasets.size()) return false;
  for (size_t i = 0; i < a.datasets.size(); ++i)
    if (a.datasets[i].name != b.datasets[i].name || a.datasets[i].offset != b.datasets[i].offset ||
        a.datasets[i].bytes != b.datasets[i].bytes)
      return false;
  return true;
}

// Copies every byte of `skeleton` outside the row datasets (the HDF5 metadata) into the file `fd`.
void copy_metadata(const std::string& skeleton, const FileLayout& layout, int fd, const std::string& subject,
                   const std::function<void(const char*)>& hook) {
  const int in = ::open(skeleton.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) fail(skeleton, "cannot open: {}", std::strerror(errno));
  std::vector<uint8_t> buffer;
  uint64_t position = 0;
  bool first = true;
  const auto copy = [&](uint64_t begin, uint64_t end) {
    if (end <= begin) return;
    buffer.resize(end - begin);
    read_all(in, buffer.data(), buffer.size(), begin, skeleton);
    write_all(fd, buffer.data(), buffer.size(), begin, subject);
    if (first && hook) hook("finish-metadata-half");
    first = false;
  };
  try {
    for (const auto& d : layout.datasets) {
      copy(position, d.offset);
      position = d.offset + d.bytes;
    }
    copy(position, layout.file_size);
  } catch (...) {
    ::close(in);
    throw;
  }
  ::close(in);
}

void sync_file(int fd, const std::string& subject) {
  if (::fdatasync(fd) != 0) fail(subject, "fdatasync failed: {}", std::strerror(errno));
}

void sync_directory_of(const std::string& path) {
  const fs::path parent = fs::absolute(path).parent_path();
  const int fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) ::fsync(fd), ::close(fd);
}

// Leftovers of a killed writer: the commit record's temporary files and skeletons.
void remove_leftovers(const std::string& path) {
  const fs::path p = fs::absolute(path);
  const std::string record_tmp = "." + p.filename().string() + ".partial.json.tmp-";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(p.parent_path(), ec))
    if (entry.path().filename().string().rfind(record_tmp, 0) == 0) fs::remove(entry.path(), ec);
  fs::remove(partial_path(path) + ".skeleton", ec);
}

at::Tensor stored(const at::Tensor& t, LatentDType dtype) {
  return t.to(at::kCPU).to(dtype == LatentDType::Float16 ? at::kHalf : at::kFloat).contiguous();
}

}  // namespace

struct StoreWriter::Impl {
  std::string path;
  WriterOptions options;
  Status status = Status::Created;
  StoreHeader header;
  FileLayout layout;
  int64_t next_row = 0;
  ChannelStatistics statistics{1};
  int fd = -1;

  ~Impl() {
    if (fd >= 0) ::close(fd);
  }
  void hook(const char* point) const {
    if (options.crash_point) options.crash_point(point);
  }
  std::string partial() const { return partial_path(path); }
  std::string skeleton() const { return partial() + ".skeleton"; }

  void commit_record() const {
    const nlohmann::json record = {{"format", kRecordFormat},
                                   {"schema_version", kSchemaVersion},
                                   {"identity", to_json(header.identity)},
                                   {"rows", header.rows},
                                   {"creation_time", header.creation_time},
                                   {"tool_version", header.tool_version},
                                   {"layout", layout_json(layout)},
                                   {"rows_committed", next_row},
                                   {"statistics", statistics.to_json()}};
    io::write_file_atomic(record_path(path), record.dump(1) + "\n");
  }

  // Writes a skeleton holding `state` and copies its metadata over the partial file.
  void restore_metadata(const CommitState& state, bool finishing) {
    const FileLayout fresh = write_skeleton(skeleton(), header, state);
    if (!same_layout(fresh, layout))
      fail(partial(),
           "cannot rewrite its metadata: this HDF5 library lays the file out differently from the one "
           "that created it; pass --force to start over");
    copy_metadata(skeleton(), layout, fd, partial(), [this, finishing](const char* p) {
      if (finishing) hook(p);
    });
    std::error_code ec;
    fs::remove(skeleton(), ec);
  }

  void open_partial() {
    fd = ::open(partial().c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) fail(partial(), "cannot open for writing: {}", std::strerror(errno));
  }

  void create(const StoreIdentity& identity, int64_t rows) {
    std::error_code ec;
    fs::remove(partial(), ec);
    fs::remove(record_path(path), ec);
    header = {identity, rows, options.creation_time.empty() ? io::utc_now_iso8601() : options.creation_time,
              tool_version()};
    statistics = ChannelStatistics(identity.latent_shape[0]);
    next_row = 0;
    layout = write_skeleton(skeleton(), header, CommitState{0, false, statistics});
    // Record first: a partial file without a record is never trusted.
    commit_record();
    if (std::rename(skeleton().c_str(), partial().c_str()) != 0)
      fail(partial(), "cannot rename into place: {}", std::strerror(errno));
    sync_directory_of(path);
    open_partial();
    status = Status::Created;
  }

  // Returns false when there is nothing to resume (and the caller creates a new store).
  bool resume(const StoreIdentity& identity, int64_t rows) {
    const std::string record_file = record_path(path);
    if (!exists(record_file)) return false;
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(io::read_file(record_file));
      if (record.at("format") != kRecordFormat) throw std::runtime_error("not a commit record");
    } catch (const std::exception& e) {
      if (options.force) return false;
      fail(record_file, "unreadable commit record ({}); pass --force to start over", e.what());
    }
    try {
      header.identity = identity_from_json(record.at("identity"), record_file);
      validate_identity(header.identity, record_file);
      header.rows = record.at("rows").get<int64_t>();
      header.creation_time = record.at("creation_time").get<std::string>();
      header.tool_version = record.at("tool_version").get<std::string>();
      layout = layout_from_json(record.at("layout"));
      next_row = record.at("rows_committed").get<int64_t>();
      statistics =
          ChannelStatistics::from_json(record.at("statistics"), header.identity.latent_shape.at(0), record_file);
    } catch (const nlohmann::json::exception& e) {
      if (options.force) return false;
      fail(record_file, "malformed commit record ({}); pass --force to start over", e.what());
    } catch (const UserError&) {
      if (options.force) return false;
      throw;
    }
    std::string difference = identity_difference(header.identity, identity);
    if (difference.empty() && header.rows != rows)
      difference = fmt::format("rows (store: {}, requested: {})", header.rows, rows);
    if (!difference.empty()) {
      if (options.force) return false;
      fail(partial(), "partial store made with a different {}; pass --force to start over", difference);
    }
    if (next_row < 0 || next_row > rows) fail(record_file, "rows_committed {} outside 0..{}", next_row, rows);
    if (!exists(partial())) {
      if (next_row == 0 || options.force) return false;
      fail(partial(), "missing, but {} says {} rows were committed; pass --force to start over", record_file, next_row);
    }
    const uint64_t size = size_of(partial());
    if (size < layout.file_size) {
      if (options.force) return false;
      fail(partial(), "truncated ({} bytes, expected {}); pass --force to start over", size, layout.file_size);
    }
    open_partial();
    if (size > layout.file_size && ::ftruncate(fd, static_cast<off_t>(layout.file_size)) != 0)
      fail(partial(), "cannot truncate: {}", std::strerror(errno));
    // Undo whatever a killed finish() may have half-written.
    restore_metadata(CommitState{next_row, false, statistics}, false);
    status = Status::Resumed;
    return true;
  }
};

StoreWriter::StoreWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StoreWriter::~StoreWriter() = default;
StoreWriter::StoreWriter(StoreWriter&&) noexcept = default;
StoreWriter& StoreWriter::operator=(StoreWriter&&) noexcept = default;

StoreWriter StoreWriter::open_or_resume(const std::string& path, const StoreIdentity& identity, int64_t rows,
                                        WriterOptions options) {
  validate_identity(identity, path);
  if (rows <= 0) fail_usage(path, "a store needs at least one row, got {}", rows);
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = std::move(options);
  remove_leftovers(path);
  if (exists(path)) {
    std::string problem;
    StoreInfo info;
    try {
      info = read_store_info(path);
      problem = identity_difference(info.header.identity, identity);
      if (problem.empty() && info.header.rows != rows)
        problem = fmt::format("rows (store: {}, requested: {})", info.header.rows, rows);
      if (!problem.empty()) problem = "was made with a different " + problem;
      if (problem.empty() && !info.complete) problem = "is marked incomplete";
    } catch (const UserError& e) {
      problem = e.problem();
    }
    if (problem.empty()) {
      impl->header = info.header;
      impl->layout = info.layout;
      impl->next_row = rows;
      impl->statistics = info.statistics;
      impl->status = Status::Complete;
      std::error_code ec;  // a finish() killed after its rename leaves the record behind
      fs::remove(record_path(path), ec);
      return StoreWriter(std::move(impl));
    }
    if (!impl->options.force) fail(path, "{}; pass --force to replace it", problem);
  }
  if (!impl->resume(identity, rows)) impl->create(identity, rows);
  return StoreWriter(std::move(impl));
}

StoreWriter::Status StoreWriter::status() const {
  return impl_->status;
}
bool StoreWriter::complete() const {
  return impl_->status == Status::Complete;
}
int64_t StoreWriter::next_row() const {
  return impl_->next_row;
}
int64_t StoreWriter::rows() const {
  return impl_->header.rows;
}
const std::string& StoreWriter::path() const {
  return impl_->path;
}
const ChannelStatistics& StoreWriter::statistics() const {
  return impl_->statistics;
}

void StoreWriter::append(const StoreBatch& batch) {
  Impl& w = *impl_;
  const std::string subject = w.partial();
  if (w.status == Status::Complete) fail(w.path, "the store is complete; nothing more can be appended");
  const StoreIdentity& id = w.header.identity;
  if (!batch.mean.defined() || batch.mean.dim() != 4) fail(subject, "batch mean must be (n, C, h, w)");
  const int64_t n = batch.mean.size(0);
  const std::vector<int64_t> want = {n, id.latent_shape[0], id.latent_shape[1], id.latent_shape[2]};
  const auto check_latent = [&](const at::Tensor& t, const char* name) {
    if (!t.defined() || t.sizes().vec() != want)
      fail(subject, "batch {} must have shape [{}], got [{}]", name, fmt::join(want, ", "),
           t.defined() ? fmt::format("{}", fmt::join(t.sizes(), ", ")) : "undefined");
  };
  check_latent(batch.mean, "mean");
  check_latent(batch.std, "std");
  if (id.flip) check_latent(batch.mean_flip, "mean_flip"), check_latent(batch.std_flip, "std_flip");
  if (!batch.labels.defined() || batch.labels.dim() != 1 || batch.labels.size(0) != n)
    fail(subject, "batch labels must have shape [{}]", n);
  const int64_t a = static_cast<int64_t>(id.attribute_names.size());
  if (a > 0 && (!batch.attributes.defined() || batch.attributes.sizes().vec() != std::vector<int64_t>{n, a}))
    fail(subject, "batch attributes must have shape [{}, {}]", n, a);
  if (id.key_width == 0 && static_cast<int64_t>(batch.indices.size()) != n)
    fail(subject, "batch needs {} indices, got {}", n, batch.indices.size());
  if (id.key_width > 0 && static_cast<int64_t>(batch.keys.size()) != n)
    fail(subject, "batch needs {} keys, got {}", n, batch.keys.size());
  if (id.has_teacher_tokens()) {
    const std::vector<int64_t> tokens = {n, id.teacher_grid[0] * id.teacher_grid[1], id.teacher_width};
    const auto check_tokens = [&](const at::Tensor& t, const char* name) {
      if (!t.defined() || t.sizes().vec() != tokens)
        fail(subject, "batch {} must have shape [{}], got [{}]", name, fmt::join(tokens, ", "),
             t.defined() ? fmt::format("{}", fmt::join(t.sizes(), ", ")) : "undefined");
    };
    check_tokens(batch.teacher_tokens, "teacher_tokens");
    if (id.flip) check_tokens(batch.teacher_tokens_flip, "teacher_tokens_flip");
  }
  if (w.next_row + n > w.header.rows)
    fail(subject, "{} more rows would exceed the {} rows of the store ({} written)", n, w.header.rows, w.next_row);
  if (n == 0) return;

  const at::Tensor mean = stored(batch.mean, id.dtype), std = stored(batch.std, id.dtype);
  std::vector<std::pair<std::string, at::Tensor>> tensors = {{"mean", mean}, {"std", std}};
  if (id.flip)
    tensors.insert(tensors.end(),
                   {{"mean_flip", stored(batch.mean_flip, id.dtype)}, {"std_flip", stored(batch.std_flip, id.dtype)}});
  tensors.emplace_back("labels", batch.labels.to(at::kCPU).to(at::kLong).contiguous());
  if (a > 0) tensors.emplace_back("attributes", batch.attributes.to(at::kCPU).to(at::kInt).contiguous());
  if (id.has_teacher_tokens()) {
    tensors.emplace_back("teacher_tokens", stored(batch.teacher_tokens, id.teacher_dtype));
    if (id.flip) tensors.emplace_back("teacher_tokens_flip", stored(batch.teacher_tokens_flip, id.teacher_dtype));
  }
  std::vector<uint8_t> keys;
  if (id.key_width == 0) {
    keys.resize(static_cast<size_t>(n) * 8);
    std::memcpy(keys.data(), batch.indices.data(), keys.size());
  } else {
    keys.assign(static_cast<size_t>(n * id.key_width), 0);
    for (int64_t i = 0; i < n; ++i) {
      const std::string& k = batch.keys[static_cast<size_t>(i)];
      if (static_cast<int64_t>(k.size()) > id.key_width)
        fail(subject, "key '{}' is longer than the store's key width {}", k, id.key_width);
      std::memcpy(keys.data() + i * id.key_width, k.data(), k.size());
    }
  }
  for (const auto& [name, t] : tensors) {
    const DatasetExtent* d = w.layout.find(name);
    LATENTLAB_ASSERT(d && static_cast<uint64_t>(t.nbytes()) == d->row_bytes * static_cast<uint64_t>(n),
                     "row size of {}", name);
    write_all(w.fd, t.data_ptr(), t.nbytes(), d->offset + d->row_bytes * static_cast<uint64_t>(w.next_row), subject);
  }
  const DatasetExtent* k = w.layout.find("keys");
  write_all(w.fd, keys.data(), keys.size(), k->offset + k->row_bytes * static_cast<uint64_t>(w.next_row), subject);
  w.hook("rows-written");

  ChannelStatistics updated = w.statistics;
  updated.update(mean, std);
  if (w.options.sync) sync_file(w.fd, subject);
  w.hook("rows-synced");
  const int64_t before = w.next_row;
  const ChannelStatistics previous = w.statistics;
  w.next_row += n, w.statistics = updated;
  try {
    w.commit_record();
  } catch (...) {
    w.next_row = before, w.statistics = previous;
    throw;
  }
  w.hook("committed");
}

void StoreWriter::set_statistics(const ChannelStatistics& statistics) {
  Impl& w = *impl_;
  LATENTLAB_ASSERT(statistics.channels() == w.header.identity.latent_shape[0], "statistics of another shape");
  if (w.status == Status::Complete) fail(w.path, "the store is complete; its statistics are final");
  w.statistics = statistics;
  w.commit_record();
}

void StoreWriter::finish() {
  Impl& w = *impl_;
  if (w.status == Status::Complete) return;
  if (w.next_row != w.header.rows)
    fail(w.partial(), "cannot finish with {} of {} rows written", w.next_row, w.header.rows);
  w.hook("finish-start");
  w.restore_metadata(CommitState{w.header.rows, true, w.statistics}, true);
  sync_file(w.fd, w.partial());
  ::close(w.fd);
  w.fd = -1;
  if (std::rename(w.partial().c_str(), w.path.c_str()) != 0)
    fail(w.path, "cannot rename {} into place: {}", w.partial(), std::strerror(errno));
  sync_directory_of(w.path);
  w.hook("finish-renamed");
  std::error_code ec;
  fs::remove(record_path(w.path), ec);
  w.status = Status::Complete;
}

}  // namespace latentlab::store
