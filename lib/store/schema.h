// The latentlab latent store: one HDF5 file per (VAE weights, dataset, preprocessing, shard).
//
// Layout (schema version 1; docs/latent-store.md has the table and an h5py example):
//   /mean, /std            N x C x h x w   float16 or float32 (little-endian)   posterior mean and std
//   /mean_flip, /std_flip  N x C x h x w   same, only when the store keeps horizontally flipped copies
//   /labels                N               int64
//   /attributes            N x A           int32, only when A > 0; attribute `names` (A strings)
//   /keys                  N               int64 (dataset index) or fixed-length NUL-padded strings
//   /teacher_tokens        N x T x D       float16 or float32, optional: a REPA teacher's patch tokens of each
//                                          image (T = grid_h x grid_w, row-major); attributes `teacher` (the
//                                          teacher's identity), `grid_h`, `grid_w`
//   /teacher_tokens_flip   N x T x D       the same for the flipped image, only with flips and teacher tokens
// Every dataset is contiguous, allocated in full when the file is made (no chunking, no compression:
// measured in docs/latent-store.md), so a row lives at a fixed offset: row r of a dataset starts at
// H5Dget_offset + r * row_bytes. Writers write rows and readers read them there with pwrite/pread.
// Root attributes: see the k* names below (identity, statistics, rows, completeness, provenance).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "store/channel_stats.h"

namespace latentlab::store {

constexpr int64_t kSchemaVersion = 1;
constexpr const char* kFormatName = "latentlab-latent-store";

enum class LatentDType { Float16, Float32 };
const char* dtype_name(LatentDType dtype);  // "float16", "float32"
// "float16"|"f16"|"half", "float32"|"f32"|"float"; UserError naming `subject` otherwise.
LatentDType parse_dtype(const std::string& text, const std::string& subject);
size_t dtype_size(LatentDType dtype);

// Everything that makes two stores interchangeable. A writer refuses a store whose identity differs.
struct StoreIdentity {
  std::string vae_sha256;           // SHA-256 of the VAE weights file
  std::string vae_config;           // the architecture config, JSON text
  std::string dataset_fingerprint;  // e.g. the dataset spec + a hash of its listing
  std::string preprocessing;        // the crop/resize protocol, e.g. "adm-center-crop 256"
  int64_t shard_index = 0;          // this file holds positions shard_index, shard_index + shard_count, ...
  int64_t shard_count = 1;
  LatentDType dtype = LatentDType::Float32;
  bool flip = false;                         // mean_flip / std_flip present
  std::vector<int64_t> latent_shape;         // {C, h, w}
  std::vector<std::string> attribute_names;  // A names; empty: no /attributes
  int64_t key_width = 0;                     // 0: int64 keys (dataset index); > 0: strings of at most this many bytes
  // Optional teacher patch tokens (REPA targets cached with the latents); `teacher` empty: none.
  std::string teacher;                // models::Teacher::identity(): kind, preset, input handling, weights SHA-256
  std::vector<int64_t> teacher_grid;  // {grid_h, grid_w}: T = grid_h * grid_w tokens per image
  int64_t teacher_width = 0;          // D
  LatentDType teacher_dtype = LatentDType::Float16;
  bool has_teacher_tokens() const { return !teacher.empty(); }
};

nlohmann::json to_json(const StoreIdentity& identity);
StoreIdentity identity_from_json(const nlohmann::json& j, const std::string& subject);
// The first field (in declaration order) where `a` and `b` differ, as "name (store: X, requested: Y)";
// empty when they are equal. Long values are shortened.
std::string identity_difference(const StoreIdentity& store, const StoreIdentity& requested);
// Throws UsageError unless the identity is well formed (shape, shard, key width, teacher grid and width).
void validate_identity(const StoreIdentity& identity, const std::string& subject);

// Where each row dataset lives in the file.
struct DatasetExtent {
  std::string name;
  uint64_t offset = 0;     // file offset of row 0
  uint64_t row_bytes = 0;  // bytes per row
  uint64_t bytes = 0;      // rows * row_bytes
};
struct FileLayout {
  uint64_t file_size = 0;
  std::vector<DatasetExtent> datasets;  // sorted by offset
  const DatasetExtent* find(const std::string& name) const;
};

// The header written into every copy of the metadata: fixed at creation, identical in the final file.
struct StoreHeader {
  StoreIdentity identity;
  int64_t rows = 0;           // N
  std::string creation_time;  // ISO 8601 UTC; the only attribute that differs between two identical runs
  std::string tool_version;
};

// What changes while rows are written.
struct CommitState {
  int64_t rows_written = 0;
  bool complete = false;
  ChannelStatistics statistics{1};
};

// Creates a new HDF5 file at `path` holding the whole schema: every dataset allocated for `header.rows`
// rows (contents unwritten: a sparse file), every attribute with its final size. Deterministic: the same
// header gives the same layout and metadata bytes, whatever `state` holds.
FileLayout write_skeleton(const std::string& path, const StoreHeader& header, const CommitState& state);

// Everything a reader learns from the root attributes and dataset headers of a store.
struct StoreInfo {
  std::string path;
  int64_t schema_version = 0;
  StoreHeader header;
  int64_t rows_written = 0;
  bool complete = false;
  ChannelStatistics statistics{1};
  std::vector<double> channel_mean, channel_std;
  FileLayout layout;
  bool contiguous = true;  // all row datasets contiguous and allocated (else read through HDF5)
};

// Reads and validates the metadata of the store at `path` (read-only). Throws UserError naming the file:
// missing, not HDF5, truncated, not a latentlab store, newer schema, inconsistent shapes. Does not require
// completeness (callers check `complete`).
StoreInfo read_store_info(const std::string& path);
nlohmann::json to_json(const StoreInfo& info);

// Names of the row datasets of a store with this identity, in file order.
std::vector<std::string> row_dataset_names(const StoreIdentity& identity);
// Bytes of one row of dataset `name`.
uint64_t row_bytes(const StoreIdentity& identity, const std::string& name);

}  // namespace latentlab::store
