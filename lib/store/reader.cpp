#include "store/reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

#include <ATen/ATen.h>

#include "core/error.h"
#include "store/hdf5_util.h"

namespace latentlab::store {

using detail::Hid;

StoreReader::StoreReader(const std::string& path) : info_(read_store_info(path)) {
  if (!info_.complete || info_.rows_written != info_.header.rows)
    fail(path, "incomplete store: {} of {} rows written", info_.rows_written, info_.header.rows);
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) fail(path, "cannot open: {}", std::strerror(errno));
}

StoreReader::~StoreReader() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

void pread_all(int fd, uint8_t* out, uint64_t size, uint64_t offset, const std::string& subject) {
  while (size > 0) {
    const ssize_t n = ::pread(fd, out, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      fail(subject, "read failed at byte {}: {}", offset,
           n == 0 ? "unexpected end of file (truncated?)" : std::strerror(errno));
    out += n, size -= static_cast<uint64_t>(n), offset += static_cast<uint64_t>(n);
  }
}

uint64_t mix(uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t seed_of(uint64_t seed, int64_t epoch, int64_t index, uint64_t stream) {
  return mix(mix(mix(seed ^ 0x6c6174656e746c61ULL) + static_cast<uint64_t>(epoch)) + static_cast<uint64_t>(index) * 4 +
             stream);
}

}  // namespace

void StoreReader::read_rows(const std::string& name, const std::vector<int64_t>& rows, uint8_t* out) const {
  const DatasetExtent* d = info_.layout.find(name);
  LATENTLAB_ASSERT(d, "no dataset {}", name);
  for (const int64_t r : rows)
    if (r < 0 || r >= info_.header.rows) fail(info_.path, "row {} outside 0..{}", r, info_.header.rows - 1);
  const uint64_t rb = d->row_bytes;
  if (!info_.contiguous) {  // chunked (rewritten by another tool): one hyperslab per row through HDF5
    const auto lock = detail::lock_hdf5();
    Hid file(H5Fopen(info_.path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    Hid dataset(file.valid() ? H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT) : -1, H5Dclose);
    if (!dataset.valid()) fail(info_.path, "cannot open dataset /{}", name);
    Hid type(H5Dget_type(dataset.get()), H5Tclose);
    Hid space(H5Dget_space(dataset.get()), H5Sclose);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    hsize_t start[8] = {0}, count[8] = {0};
    if (rank < 1 || rank > 8) fail(info_.path, "dataset /{} has rank {}", name, rank);
    H5Sget_simple_extent_dims(space.get(), count, nullptr);
    count[0] = 1;
    Hid memory(H5Screate_simple(rank, count, nullptr), H5Sclose);
    for (size_t i = 0; i < rows.size(); ++i) {
      start[0] = static_cast<hsize_t>(rows[i]);
      H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
      if (H5Dread(dataset.get(), type.get(), memory.get(), space.get(), H5P_DEFAULT, out + i * rb) < 0)
        fail(info_.path, "cannot read row {} of /{}", rows[i], name);
    }
    return;
  }
  // Sorted by row so that neighbouring rows become one pread.
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rows[a] < rows[b]; });
  size_t i = 0;
  while (i < order.size()) {
    size_t j = i + 1;
    while (j < order.size() && rows[order[j]] == rows[order[j - 1]] + 1 && order[j] == order[j - 1] + 1) ++j;
    pread_all(fd_, out + order[i] * rb, rb * (j - i), d->offset + rb * static_cast<uint64_t>(rows[order[i]]),
              info_.path);
    i = j;
  }
}

std::vector<uint8_t> StoreReader::read_raw(const std::string& name, int64_t begin, int64_t end) const {
  const DatasetExtent* d = info_.layout.find(name);
  LATENTLAB_ASSERT(d && begin >= 0 && begin <= end && end <= info_.header.rows, "raw read of {}", name);
  std::vector<int64_t> rows(static_cast<size_t>(end - begin));
  std::iota(rows.begin(), rows.end(), begin);
  std::vector<uint8_t> out(rows.size() * d->row_bytes);
  read_rows(name, rows, out.data());
  return out;
}

void StoreReader::read_rows_flipped(const std::string& name, const std::vector<int64_t>& rows,
                                    const std::vector<uint8_t>& flipped, uint8_t* out) const {
  if (std::none_of(flipped.begin(), flipped.end(), [](uint8_t f) { return f != 0; })) {
    read_rows(name, rows, out);
    return;
  }
  // Gather the plain and the flipped rows separately, then interleave.
  const uint64_t rb = row_bytes(info_.header.identity, name);
  std::vector<int64_t> part[2];
  std::vector<size_t> where[2];
  for (size_t i = 0; i < rows.size(); ++i) {
    const int f = flipped[i] != 0;
    part[f].push_back(rows[i]);
    where[f].push_back(i);
  }
  for (int f = 0; f < 2; ++f) {
    std::vector<uint8_t> tmp(rb * part[f].size());
    read_rows(f ? name + "_flip" : name, part[f], tmp.data());
    for (size_t k = 0; k < part[f].size(); ++k) std::memcpy(out + where[f][k] * rb, tmp.data() + k * rb, rb);
  }
}

at::Tensor StoreReader::read_float32(const std::string& name, std::vector<int64_t> row_shape, LatentDType stored,
                                     const std::vector<int64_t>& rows, const std::vector<uint8_t>& flipped) const {
  if (!flipped.empty() && flipped.size() != rows.size()) fail(info_.path, "flip choices do not match the rows");
  const bool any_flip = std::any_of(flipped.begin(), flipped.end(), [](uint8_t f) { return f != 0; });
  if (any_flip && !info_.header.identity.flip)
    fail(info_.path, "the store holds no flipped copies (it was cached without --flip)");
  row_shape.insert(row_shape.begin(), static_cast<int64_t>(rows.size()));
  const auto dtype = stored == LatentDType::Float16 ? at::kHalf : at::kFloat;
  at::Tensor out = at::empty(row_shape, dtype);
  read_rows_flipped(name, rows, any_flip ? flipped : std::vector<uint8_t>{}, static_cast<uint8_t*>(out.data_ptr()));
  return dtype == at::kFloat ? out : out.to(at::kFloat);
}

at::Tensor StoreReader::read_teacher_tokens(const std::vector<int64_t>& rows,
                                            const std::vector<uint8_t>& flipped) const {
  const StoreIdentity& id = info_.header.identity;
  if (!id.has_teacher_tokens()) fail(info_.path, "holds no teacher tokens (cache it with --teacher)");
  return read_float32("teacher_tokens", {id.teacher_grid[0] * id.teacher_grid[1], id.teacher_width}, id.teacher_dtype,
                      rows, flipped);
}

LatentBatch StoreReader::read(const std::vector<int64_t>& rows, const std::vector<uint8_t>& flipped) const {
  const StoreIdentity& id = info_.header.identity;
  const int64_t n = static_cast<int64_t>(rows.size());
  const std::vector<int64_t> row_shape = {id.latent_shape[0], id.latent_shape[1], id.latent_shape[2]};
  LatentBatch batch;
  batch.mean = read_float32("mean", row_shape, id.dtype, rows, flipped);
  batch.std = read_float32("std", row_shape, id.dtype, rows, flipped);
  batch.rows = rows;
  batch.flipped = flipped.empty() ? std::vector<uint8_t>(rows.size(), 0) : flipped;
  batch.labels = at::empty({n}, at::kLong);
  read_rows("labels", rows, static_cast<uint8_t*>(batch.labels.data_ptr()));
  if (!id.attribute_names.empty()) {
    batch.attributes = at::empty({n, static_cast<int64_t>(id.attribute_names.size())}, at::kInt);
    read_rows("attributes", rows, static_cast<uint8_t*>(batch.attributes.data_ptr()));
  }
  const uint64_t kb = row_bytes(id, "keys");
  std::vector<uint8_t> keys(kb * static_cast<uint64_t>(n));
  read_rows("keys", rows, keys.data());
  for (int64_t i = 0; i < n; ++i) {
    if (id.key_width == 0) {
      int64_t k;
      std::memcpy(&k, keys.data() + i * 8, 8);
      batch.keys.push_back(std::to_string(k));
    } else {
      const char* k = reinterpret_cast<const char*>(keys.data() + i * id.key_width);
      batch.keys.emplace_back(k, strnlen(k, static_cast<size_t>(id.key_width)));
    }
  }
  return batch;
}

LatentLoader::LatentLoader(const StoreReader& reader, LoaderOptions options) : reader_(reader), options_(options) {
  const int64_t end = options_.end < 0 ? reader.rows() : options_.end;
  if (options_.batch_size <= 0) fail_usage("batch size", "must be positive, got {}", options_.batch_size);
  if (options_.begin < 0 || options_.begin >= end || end > reader.rows())
    fail_usage("rows", "range [{}, {}) is not inside the store's {} rows", options_.begin, end, reader.rows());
  if (options_.random_flip && !reader.info().header.identity.flip)
    fail(reader.path(), "random flips need a store cached with flips");
  count_ = end - options_.begin;
  if (batches_per_epoch() == 0)
    fail_usage("batch size", "{} is larger than the {} rows with drop_last", options_.batch_size, count_);
  if (options_.prefetch > 0) worker_ = std::thread([this] { work(); });
}

LatentLoader::~LatentLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

int64_t LatentLoader::batches_per_epoch() const {
  return options_.drop_last ? count_ / options_.batch_size : (count_ + options_.batch_size - 1) / options_.batch_size;
}

std::vector<int64_t> LatentLoader::epoch_order(int64_t epoch) const {
  std::lock_guard<std::mutex> lock(order_mutex_);
  if (order_cache_.first == epoch) return order_cache_.second;
  std::vector<int64_t> order(static_cast<size_t>(count_));
  std::iota(order.begin(), order.end(), options_.begin);
  if (options_.shuffle) {  // Fisher-Yates with a generator seeded by (seed, epoch)
    std::mt19937_64 rng(seed_of(options_.seed, epoch, 0, 0));
    for (size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[rng() % (i + 1)]);
  }
  order_cache_ = {epoch, order};
  return order;
}

std::optional<LatentBatch> LatentLoader::build(int64_t sequence) const {
  const int64_t per_epoch = batches_per_epoch();
  const int64_t epoch = sequence / per_epoch, index = sequence % per_epoch;
  if (options_.epochs > 0 && epoch >= options_.epochs) return std::nullopt;
  const std::vector<int64_t> order = epoch_order(epoch);
  const int64_t begin = index * options_.batch_size, end = std::min(count_, begin + options_.batch_size);
  std::vector<int64_t> rows(order.begin() + begin, order.begin() + end);
  std::mt19937_64 rng(seed_of(options_.seed, epoch, index, 1));
  std::vector<uint8_t> flipped(rows.size(), 0);
  if (options_.random_flip)
    for (auto& f : flipped) f = static_cast<uint8_t>(rng() >> 63);
  LatentBatch batch = reader_.read(rows, flipped);
  batch.epoch = epoch, batch.index = index;
  if (options_.sample) {  // Box-Muller in double from the batch's own generator
    at::Tensor eps = at::empty(batch.mean.sizes(), at::kFloat);
    float* e = eps.data_ptr<float>();
    const int64_t total = eps.numel();
    for (int64_t i = 0; i < total; i += 2) {
      const double u1 = (static_cast<double>(rng() >> 11) + 1.0) * 0x1.0p-53;
      const double u2 = static_cast<double>(rng() >> 11) * 0x1.0p-53;
      const double r = std::sqrt(-2.0 * std::log(u1)), angle = 2.0 * M_PI * u2;
      e[i] = static_cast<float>(r * std::cos(angle));
      if (i + 1 < total) e[i + 1] = static_cast<float>(r * std::sin(angle));
    }
    batch.z = batch.mean + batch.std * eps;
  }
  return batch;
}

void LatentLoader::work() {
  int64_t sequence = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || static_cast<int>(ready_.size()) < options_.prefetch; });
      if (stopping_) return;
    }
    std::optional<LatentBatch> batch;
    try {
      batch = build(sequence++);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      error_ = std::current_exception();
      changed_.notify_all();
      return;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    const bool end = !batch;
    ready_.push_back(std::move(batch));
    changed_.notify_all();
    if (end) return;
  }
}

std::optional<LatentBatch> LatentLoader::next() {
  if (finished_) return std::nullopt;
  if (options_.prefetch <= 0) {
    auto batch = build(next_sequence_++);
    finished_ = !batch;
    return batch;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return !ready_.empty() || error_; });
  if (ready_.empty()) std::rethrow_exception(error_);
  auto batch = std::move(ready_.front());
  ready_.pop_front();
  changed_.notify_all();
  finished_ = !batch;
  return batch;
}

}  // namespace latentlab::store
