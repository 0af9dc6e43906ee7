// Synthetic stores for the store tests: every value is a fixed function of (dataset position, seed), so a
// resumed, sharded or child-process run writes exactly what a single uninterrupted run writes.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "store/writer.h"

namespace latentlab::store::testing {

inline StoreIdentity test_identity(LatentDType dtype = LatentDType::Float32, bool flip = false, int64_t key_width = 0,
                                   std::vector<std::string> attributes = {"size", "colour"}) {
  StoreIdentity id;
  id.vae_sha256 = "3f1e0000000000000000000000000000000000000000000000000000000000aa";
  id.vae_config = R"({"preset":"test","channels":3,"latent_channels":4,"downsample":4})";
  id.dataset_fingerprint = "shapes:seed=0,n=64,res=16 sha256:1234";
  id.preprocessing = "center-crop 16";
  id.dtype = dtype;
  id.flip = flip;
  id.latent_shape = {4, 3, 5};
  id.attribute_names = std::move(attributes);
  id.key_width = key_width;
  return id;
}

// `id` with teacher tokens: a 2 x 3 grid of 5-wide tokens in `dtype`.
inline StoreIdentity with_teacher_tokens(StoreIdentity id, LatentDType dtype = LatentDType::Float16,
                                         std::string teacher = "test teacher (r16 d5) sha256 5eed") {
  id.teacher = std::move(teacher);
  id.teacher_grid = {2, 3};
  id.teacher_width = 5;
  id.teacher_dtype = dtype;
  return id;
}

// A value in [0, 1) from (position, element, stream, seed).
inline double unit(uint64_t position, uint64_t element, uint64_t stream, uint64_t seed) {
  uint64_t x = position * 0x9e3779b97f4a7c15ULL ^ (element + 1) * 0xbf58476d1ce4e5b9ULL ^
               (stream + 7) * 0x94d049bb133111ebULL ^ seed;
  x ^= x >> 31, x *= 0xd6e8feb86659fd39ULL, x ^= x >> 29, x *= 0x9e3779b97f4a7c15ULL, x ^= x >> 32;
  return static_cast<double>(x >> 11) * 0x1.0p-53;
}

inline at::Tensor latent_values(const StoreIdentity& id, const std::vector<int64_t>& positions, uint64_t stream,
                                uint64_t seed, bool is_std) {
  const int64_t n = static_cast<int64_t>(positions.size()), c = id.latent_shape[0];
  const int64_t per = c * id.latent_shape[1] * id.latent_shape[2], per_channel = per / c;
  at::Tensor t = at::empty({n, c, id.latent_shape[1], id.latent_shape[2]}, at::kFloat);
  float* p = t.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t e = 0; e < per; ++e) {
      const double u = unit(static_cast<uint64_t>(positions[i]), static_cast<uint64_t>(e), stream, seed);
      const double channel = static_cast<double>(e / per_channel);
      p[i * per + e] = static_cast<float>(is_std ? 0.05 + 0.4 * u : (u - 0.5) * 3.0 + 0.7 * channel - 1.0);
    }
  return t;
}

inline std::string key_of(int64_t position) {
  return "train/img" + std::to_string(100000 + position) + ".png";
}

// Teacher tokens (n, T, D) in [−2, 2) for dataset `positions`.
inline at::Tensor token_values(const StoreIdentity& id, const std::vector<int64_t>& positions, uint64_t stream,
                               uint64_t seed) {
  const int64_t n = static_cast<int64_t>(positions.size()), t = id.teacher_grid[0] * id.teacher_grid[1];
  at::Tensor out = at::empty({n, t, id.teacher_width}, at::kFloat);
  float* p = out.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t e = 0; e < t * id.teacher_width; ++e)
      p[i * t * id.teacher_width + e] = static_cast<float>(
          4.0 * unit(static_cast<uint64_t>(positions[i]), static_cast<uint64_t>(e), stream, seed) - 2.0);
  return out;
}

// The batch for dataset `positions` (rows of a store in that order).
inline StoreBatch make_batch(const StoreIdentity& id, const std::vector<int64_t>& positions, uint64_t seed = 1) {
  StoreBatch b;
  b.mean = latent_values(id, positions, 0, seed, false);
  b.std = latent_values(id, positions, 1, seed, true);
  if (id.flip)
    b.mean_flip = latent_values(id, positions, 2, seed, false),
    b.std_flip = latent_values(id, positions, 3, seed, true);
  if (id.has_teacher_tokens()) {
    b.teacher_tokens = token_values(id, positions, 4, seed);
    if (id.flip) b.teacher_tokens_flip = token_values(id, positions, 5, seed);
  }
  const int64_t n = static_cast<int64_t>(positions.size()), a = static_cast<int64_t>(id.attribute_names.size());
  b.labels = at::empty({n}, at::kLong);
  if (a > 0) b.attributes = at::empty({n, a}, at::kInt);
  for (int64_t i = 0; i < n; ++i) {
    b.labels[i] = positions[i] % 10;
    for (int64_t j = 0; j < a; ++j) b.attributes[i][j] = static_cast<int32_t>((positions[i] * 7 + j) % 5);
    b.indices.push_back(positions[i]);
    b.keys.push_back(key_of(positions[i]));
  }
  return b;
}

// Dataset positions of shard i/n of `total`: i, i + n, ...
inline std::vector<int64_t> shard_positions(int64_t total, int64_t index, int64_t count) {
  std::vector<int64_t> out;
  for (int64_t p = index; p < total; p += count) out.push_back(p);
  return out;
}

// Writes (or resumes and completes) a store of `positions` in batches of `batch_size`.
inline StoreWriter::Status write_store(const std::string& path, const StoreIdentity& id,
                                       const std::vector<int64_t>& positions, int64_t batch_size,
                                       WriterOptions options = {}, uint64_t seed = 1) {
  auto writer = StoreWriter::open_or_resume(path, id, static_cast<int64_t>(positions.size()), options);
  const auto status = writer.status();
  if (writer.complete()) return status;
  for (int64_t row = writer.next_row(); row < writer.rows(); row += batch_size) {
    const int64_t end = std::min(writer.rows(), row + batch_size);
    writer.append(make_batch(id, std::vector<int64_t>(positions.begin() + row, positions.begin() + end), seed));
  }
  writer.finish();
  return status;
}

inline std::vector<int64_t> iota_positions(int64_t n) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) p[static_cast<size_t>(i)] = i;
  return p;
}

}  // namespace latentlab::store::testing
