#include "store/schema.h"

#include <sys/stat.h>

#include <algorithm>

#include <fmt/ranges.h>  // fmt::join (moved here in fmt 11)
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "store/hdf5_util.h"

namespace latentlab::store {

using detail::Hid;

const char* dtype_name(LatentDType dtype) {
  return dtype == LatentDType::Float16 ? "float16" : "float32";
}

LatentDType parse_dtype(const std::string& text, const std::string& subject) {
  if (text == "float16" || text == "f16" || text == "half") return LatentDType::Float16;
  if (text == "float32" || text == "f32" || text == "float") return LatentDType::Float32;
  fail_usage(subject, "unknown latent dtype '{}' (known: float16, float32)", text);
}

size_t dtype_size(LatentDType dtype) {
  return dtype == LatentDType::Float16 ? 2 : 4;
}

nlohmann::json to_json(const StoreIdentity& id) {
  nlohmann::json j{{"vae_sha256", id.vae_sha256},
                   {"vae_config", id.vae_config},
                   {"dataset_fingerprint", id.dataset_fingerprint},
                   {"preprocessing", id.preprocessing},
                   {"shard_index", id.shard_index},
                   {"shard_count", id.shard_count},
                   {"dtype", dtype_name(id.dtype)},
                   {"flip", id.flip},
                   {"latent_shape", id.latent_shape},
                   {"attribute_names", id.attribute_names},
                   {"key_width", id.key_width}};
  if (id.has_teacher_tokens()) {  // absent without teacher tokens: such an identity reads as before
    j["teacher"] = id.teacher;
    j["teacher_grid"] = id.teacher_grid;
    j["teacher_width"] = id.teacher_width;
    j["teacher_dtype"] = dtype_name(id.teacher_dtype);
  }
  return j;
}

StoreIdentity identity_from_json(const nlohmann::json& j, const std::string& subject) {
  try {
    StoreIdentity id;
    id.vae_sha256 = j.at("vae_sha256").get<std::string>();
    id.vae_config = j.at("vae_config").get<std::string>();
    id.dataset_fingerprint = j.at("dataset_fingerprint").get<std::string>();
    id.preprocessing = j.at("preprocessing").get<std::string>();
    id.shard_index = j.at("shard_index").get<int64_t>();
    id.shard_count = j.at("shard_count").get<int64_t>();
    id.dtype = parse_dtype(j.at("dtype").get<std::string>(), subject);
    id.flip = j.at("flip").get<bool>();
    id.latent_shape = j.at("latent_shape").get<std::vector<int64_t>>();
    id.attribute_names = j.at("attribute_names").get<std::vector<std::string>>();
    id.key_width = j.at("key_width").get<int64_t>();
    if (j.contains("teacher")) {  // commit records written before teacher tokens existed have none
      id.teacher = j.at("teacher").get<std::string>();
      id.teacher_grid = j.at("teacher_grid").get<std::vector<int64_t>>();
      id.teacher_width = j.at("teacher_width").get<int64_t>();
      id.teacher_dtype = parse_dtype(j.at("teacher_dtype").get<std::string>(), subject);
    }
    return id;
  } catch (const nlohmann::json::exception& e) {
    fail(subject, "malformed store identity: {}", e.what());
  }
}

std::string identity_difference(const StoreIdentity& store, const StoreIdentity& requested) {
  const auto a = to_json(store), b = to_json(requested);
  const auto shorten = [](const nlohmann::json& v) {
    if (v.is_null()) return std::string("none");
    std::string s = v.is_string() ? v.get<std::string>() : v.dump();
    return s.size() > 48 ? s.substr(0, 45) + "..." : s;
  };
  for (const char* key : {"vae_sha256", "vae_config", "dataset_fingerprint", "preprocessing", "shard_index",
                          "shard_count", "dtype", "flip", "latent_shape", "attribute_names", "key_width", "teacher",
                          "teacher_grid", "teacher_width", "teacher_dtype"}) {
    const nlohmann::json x = a.value(key, nlohmann::json()), y = b.value(key, nlohmann::json());
    if (x != y) return fmt::format("{} (store: {}, requested: {})", key, shorten(x), shorten(y));
  }
  return "";
}

void validate_identity(const StoreIdentity& id, const std::string& subject) {
  if (id.latent_shape.size() != 3 || *std::min_element(id.latent_shape.begin(), id.latent_shape.end()) <= 0)
    fail_usage(subject, "latent shape must be C x h x w with positive sizes, got [{}]",
               fmt::join(id.latent_shape, ", "));
  if (id.shard_count < 1 || id.shard_index < 0 || id.shard_index >= id.shard_count)
    fail_usage(subject, "shard {}/{} is not i/n with 0 <= i < n", id.shard_index, id.shard_count);
  if (id.key_width < 0 || id.key_width > 65535) fail_usage(subject, "key width {} outside 0..65535", id.key_width);
  if (id.has_teacher_tokens()) {
    if (id.teacher_grid.size() != 2 || id.teacher_grid[0] <= 0 || id.teacher_grid[1] <= 0)
      fail_usage(subject, "teacher grid must be grid_h x grid_w with positive sides, got [{}]",
                 fmt::join(id.teacher_grid, ", "));
    if (id.teacher_width <= 0) fail_usage(subject, "teacher width must be positive, got {}", id.teacher_width);
  } else if (!id.teacher_grid.empty() || id.teacher_width != 0) {
    fail_usage(subject, "a teacher grid or width without a teacher");
  }
}

const DatasetExtent* FileLayout::find(const std::string& name) const {
  for (const auto& d : datasets)
    if (d.name == name) return &d;
  return nullptr;
}

std::vector<std::string> row_dataset_names(const StoreIdentity& id) {
  std::vector<std::string> names = {"mean", "std"};
  if (id.flip) names.insert(names.end(), {"mean_flip", "std_flip"});
  names.push_back("labels");
  if (!id.attribute_names.empty()) names.push_back("attributes");
  names.push_back("keys");
  if (id.has_teacher_tokens()) {
    names.push_back("teacher_tokens");
    if (id.flip) names.push_back("teacher_tokens_flip");
  }
  return names;
}

uint64_t row_bytes(const StoreIdentity& id, const std::string& name) {
  if (name == "labels") return 8;
  if (name == "attributes") return 4 * id.attribute_names.size();
  if (name == "keys") return id.key_width == 0 ? 8 : static_cast<uint64_t>(id.key_width);
  if (name == "teacher_tokens" || name == "teacher_tokens_flip") {
    uint64_t values = checked_mul(static_cast<uint64_t>(id.teacher_grid.at(0)),
                                  static_cast<uint64_t>(id.teacher_grid.at(1)), "teacher grid");
    values = checked_mul(values, static_cast<uint64_t>(id.teacher_width), "teacher width");
    return checked_mul(values, static_cast<uint64_t>(dtype_size(id.teacher_dtype)), "teacher tokens");
  }
  uint64_t values = 1;
  for (const int64_t s : id.latent_shape) values = checked_mul(values, static_cast<uint64_t>(s), "latent shape");
  return values * dtype_size(id.dtype);
}

namespace {

struct RowType {
  std::vector<hsize_t> dims;  // per row
  Hid type;
};

Hid float_type(LatentDType dtype) {
  return dtype == LatentDType::Float16 ? detail::make_float16_type() : Hid(H5Tcopy(H5T_IEEE_F32LE), H5Tclose);
}

RowType row_type(const StoreIdentity& id, const std::string& name) {
  if (name == "labels") return {{}, Hid(H5Tcopy(H5T_STD_I64LE), H5Tclose)};
  if (name == "attributes") return {{id.attribute_names.size()}, Hid(H5Tcopy(H5T_STD_I32LE), H5Tclose)};
  if (name == "keys")
    return {{},
            id.key_width == 0 ? Hid(H5Tcopy(H5T_STD_I64LE), H5Tclose)
                              : detail::make_fixed_string_type(static_cast<size_t>(id.key_width))};
  if (name == "teacher_tokens" || name == "teacher_tokens_flip")
    return {{static_cast<hsize_t>(id.teacher_grid[0] * id.teacher_grid[1]), static_cast<hsize_t>(id.teacher_width)},
            float_type(id.teacher_dtype)};
  std::vector<hsize_t> dims(id.latent_shape.begin(), id.latent_shape.end());
  return {dims, float_type(id.dtype)};
}

void write_state(hid_t root, const CommitState& state, int64_t channels) {
  using detail::write_attribute;
  const ChannelStatistics& s = state.statistics;
  const bool have = s.channels() == channels;
  const std::vector<double> zeros(static_cast<size_t>(channels), 0.0);
  write_attribute(root, "rows_written", state.rows_written);
  write_attribute(root, "complete", static_cast<int64_t>(state.complete));
  write_attribute(root, "channel_mean", have ? s.channel_mean() : zeros);
  write_attribute(root, "channel_std", have ? s.channel_std() : zeros);
  write_attribute(root, "stats_count", have ? s.count() : int64_t{0});
  write_attribute(root, "stats_mean_mean", have ? to_vector(s.mean_moments().mean()) : zeros);
  write_attribute(root, "stats_mean_m2", have ? to_vector(s.mean_moments().m2()) : zeros);
  write_attribute(root, "stats_var_mean", have ? to_vector(s.variance_moments().mean()) : zeros);
  write_attribute(root, "stats_var_m2", have ? to_vector(s.variance_moments().m2()) : zeros);
}

}  // namespace

FileLayout write_skeleton(const std::string& path, const StoreHeader& header, const CommitState& state) {
  const StoreIdentity& id = header.identity;
  validate_identity(id, path);
  LATENTLAB_ASSERT(header.rows > 0, "a store needs rows");
  const auto lock = detail::lock_hdf5();
  FileLayout layout;
  {
    Hid file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (!file.valid()) fail(path, "cannot create an HDF5 file there");
    const hid_t root = file.get();
    using detail::write_attribute;
    write_attribute(root, "format", std::string(kFormatName));
    write_attribute(root, "schema_version", kSchemaVersion);
    write_attribute(root, "vae_sha256", id.vae_sha256);
    write_attribute(root, "vae_config", id.vae_config);
    write_attribute(root, "dataset_fingerprint", id.dataset_fingerprint);
    write_attribute(root, "preprocessing", id.preprocessing);
    write_attribute(root, "shard_index", id.shard_index);
    write_attribute(root, "shard_count", id.shard_count);
    write_attribute(root, "latent_dtype", std::string(dtype_name(id.dtype)));
    write_attribute(root, "flip", static_cast<int64_t>(id.flip));
    write_attribute(root, "key_width", id.key_width);
    write_attribute(root, "rows", header.rows);
    write_attribute(root, "tool_version", header.tool_version);
    write_attribute(root, "creation_time", header.creation_time);
    write_state(root, state, id.latent_shape[0]);

    for (const auto& name : row_dataset_names(id)) {
      RowType rt = row_type(id, name);
      std::vector<hsize_t> dims = {static_cast<hsize_t>(header.rows)};
      dims.insert(dims.end(), rt.dims.begin(), rt.dims.end());
      Hid space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
      Hid dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
      H5Pset_layout(dcpl.get(), H5D_CONTIGUOUS);
      H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY);
      H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER);
      H5Pset_obj_track_times(dcpl.get(), 0);
      Hid dataset(H5Dcreate2(root, name.c_str(), rt.type.get(), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                  H5Dclose);
      if (!dataset.valid()) fail(path, "cannot create dataset /{} of {} rows", name, header.rows);
      if (name == "attributes") write_attribute(dataset.get(), "names", id.attribute_names);
      if (name == "teacher_tokens") {
        write_attribute(dataset.get(), "teacher", id.teacher);
        write_attribute(dataset.get(), "grid_h", id.teacher_grid[0]);
        write_attribute(dataset.get(), "grid_w", id.teacher_grid[1]);
      }
      const haddr_t offset = H5Dget_offset(dataset.get());
      LATENTLAB_ASSERT(offset != HADDR_UNDEF, "dataset {} not allocated", name);
      const uint64_t rb = row_bytes(id, name);
      layout.datasets.push_back({name, offset, rb, checked_mul(rb, static_cast<uint64_t>(header.rows), path)});
    }
    if (H5Fflush(root, H5F_SCOPE_GLOBAL) < 0) fail(path, "cannot write the HDF5 metadata");
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) fail(path, "vanished while being written");
  layout.file_size = static_cast<uint64_t>(st.st_size);
  std::sort(layout.datasets.begin(), layout.datasets.end(),
            [](const DatasetExtent& a, const DatasetExtent& b) { return a.offset < b.offset; });
  for (const auto& d : layout.datasets)
    LATENTLAB_ASSERT(d.offset + d.bytes <= layout.file_size, "dataset {} beyond the end of {}", d.name, path);
  return layout;
}

namespace {

LatentDType float_dtype_of(hid_t dataset, const std::string& subject, const std::string& name) {
  Hid type(H5Dget_type(dataset), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_FLOAT) fail(subject, "dataset /{} is not floating point", name);
  const size_t size = H5Tget_size(type.get());
  if (size == 2) return LatentDType::Float16;
  if (size == 4) return LatentDType::Float32;
  fail(subject, "dataset /{} has {}-byte floats (expected float16 or float32)", name, size);
}

}  // namespace

StoreInfo read_store_info(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    struct stat partial {};
    if (::stat((path + ".partial").c_str(), &partial) == 0)
      fail(path, "incomplete store: only {}.partial exists (rerun the cache command to finish it)", path);
    fail(path, "no such file");
  }
  StoreInfo info;
  info.path = path;
  const auto lock = detail::lock_hdf5();
  if (H5Fis_hdf5(path.c_str()) <= 0) fail(path, "not an HDF5 file (or its header is corrupt)");
  Hid file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) fail(path, "HDF5 cannot open it (truncated or corrupt file)");
  const hid_t root = file.get();
  using namespace detail;
  if (!has_attribute(root, "format") || read_string_attribute(root, "format", path) != kFormatName)
    fail(path, "not a latentlab latent store (no format = '{}' attribute)", kFormatName);
  info.schema_version = read_int_attribute(root, "schema_version", path);
  if (info.schema_version > kSchemaVersion || info.schema_version < 1)
    fail(path, "store schema version {} is not readable by this latentlab (reads version {}); upgrade latentlab",
         info.schema_version, kSchemaVersion);
  StoreHeader& h = info.header;
  StoreIdentity& id = h.identity;
  id.vae_sha256 = read_string_attribute(root, "vae_sha256", path);
  id.vae_config = read_string_attribute(root, "vae_config", path);
  id.dataset_fingerprint = read_string_attribute(root, "dataset_fingerprint", path);
  id.preprocessing = read_string_attribute(root, "preprocessing", path);
  id.shard_index = read_int_attribute(root, "shard_index", path);
  id.shard_count = read_int_attribute(root, "shard_count", path);
  id.dtype = parse_dtype(read_string_attribute(root, "latent_dtype", path), path);
  id.flip = read_int_attribute(root, "flip", path) != 0;
  id.key_width = read_int_attribute(root, "key_width", path);
  h.rows = read_int_attribute(root, "rows", path);
  h.tool_version = read_string_attribute(root, "tool_version", path);
  h.creation_time = read_string_attribute(root, "creation_time", path);
  info.rows_written = read_int_attribute(root, "rows_written", path);
  info.complete = read_int_attribute(root, "complete", path) != 0;
  if (h.rows <= 0 || info.rows_written < 0 || info.rows_written > h.rows)
    fail(path, "inconsistent row counts (rows {}, rows_written {})", h.rows, info.rows_written);

  // Shapes and types of the datasets.
  Hid mean(H5Dopen2(root, "mean", H5P_DEFAULT), H5Dclose);
  if (!mean.valid()) fail(path, "dataset /mean is missing or unreadable");
  {
    Hid space(H5Dget_space(mean.get()), H5Sclose);
    hsize_t dims[8];
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank != 4) fail(path, "dataset /mean has rank {}, expected 4 (N x C x h x w)", rank);
    H5Sget_simple_extent_dims(space.get(), dims, nullptr);
    id.latent_shape = {static_cast<int64_t>(dims[1]), static_cast<int64_t>(dims[2]), static_cast<int64_t>(dims[3])};
  }
  if (float_dtype_of(mean.get(), path, "mean") != id.dtype)
    fail(path, "dataset /mean is not {} as the latent_dtype attribute says", dtype_name(id.dtype));
  if (H5Lexists(root, "attributes", H5P_DEFAULT) > 0) {
    Hid attributes(H5Dopen2(root, "attributes", H5P_DEFAULT), H5Dclose);
    if (!attributes.valid()) fail(path, "dataset /attributes is unreadable");
    id.attribute_names = read_string_array_attribute(attributes.get(), "names", path + ":/attributes");
  }
  if (H5Lexists(root, "teacher_tokens", H5P_DEFAULT) > 0) {
    const std::string subject = path + ":/teacher_tokens";
    Hid tokens(H5Dopen2(root, "teacher_tokens", H5P_DEFAULT), H5Dclose);
    if (!tokens.valid()) fail(path, "dataset /teacher_tokens is unreadable");
    id.teacher = read_string_attribute(tokens.get(), "teacher", subject);
    id.teacher_grid = {read_int_attribute(tokens.get(), "grid_h", subject),
                       read_int_attribute(tokens.get(), "grid_w", subject)};
    if (id.teacher.empty()) fail(subject, "names no teacher");
    Hid space(H5Dget_space(tokens.get()), H5Sclose);
    hsize_t dims[8] = {0};
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank != 3) fail(subject, "has rank {}, expected 3 (N x T x D)", rank);
    H5Sget_simple_extent_dims(space.get(), dims, nullptr);
    if (id.teacher_grid[0] <= 0 || id.teacher_grid[1] <= 0 ||
        static_cast<int64_t>(dims[1]) != id.teacher_grid[0] * id.teacher_grid[1])
      fail(subject, "holds {} tokens per row, its grid {} x {} says otherwise", dims[1], id.teacher_grid[0],
           id.teacher_grid[1]);
    id.teacher_width = static_cast<int64_t>(dims[2]);
    id.teacher_dtype = float_dtype_of(tokens.get(), path, "teacher_tokens");
  }
  validate_identity(id, path);

  const int64_t channels = id.latent_shape[0];
  info.statistics = ChannelStatistics::from_parts(read_int_attribute(root, "stats_count", path),
                                                  read_double_array_attribute(root, "stats_mean_mean", path),
                                                  read_double_array_attribute(root, "stats_mean_m2", path),
                                                  read_double_array_attribute(root, "stats_var_mean", path),
                                                  read_double_array_attribute(root, "stats_var_m2", path), path);
  if (info.statistics.channels() != channels)
    fail(path, "statistics have {} channels, /mean {}", info.statistics.channels(), channels);
  info.channel_mean = read_double_array_attribute(root, "channel_mean", path);
  info.channel_std = read_double_array_attribute(root, "channel_std", path);

  for (const auto& name : row_dataset_names(id)) {
    Hid dataset(H5Dopen2(root, name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!dataset.valid()) fail(path, "dataset /{} is missing or unreadable", name);
    Hid space(H5Dget_space(dataset.get()), H5Sclose);
    hsize_t dims[8] = {0};
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 1 || rank > 8) fail(path, "dataset /{} has rank {}", name, rank);
    H5Sget_simple_extent_dims(space.get(), dims, nullptr);
    if (static_cast<int64_t>(dims[0]) != h.rows)
      fail(path, "dataset /{} has {} rows, the store {}", name, dims[0], h.rows);
    Hid type(H5Dget_type(dataset.get()), H5Tclose);
    uint64_t element_count = 1;
    for (int d = 1; d < rank; ++d) element_count = checked_mul(element_count, dims[d], path);
    const uint64_t rb = checked_mul(element_count, H5Tget_size(type.get()), path);
    if (rb != row_bytes(id, name))
      fail(path, "dataset /{} has {} bytes per row, expected {}", name, rb, row_bytes(id, name));
    Hid dcpl(H5Dget_create_plist(dataset.get()), H5Pclose);
    const haddr_t offset = H5Dget_offset(dataset.get());
    if (H5Pget_layout(dcpl.get()) != H5D_CONTIGUOUS || offset == HADDR_UNDEF) info.contiguous = false;
    info.layout.datasets.push_back({name, offset, rb, checked_mul(rb, static_cast<uint64_t>(h.rows), path)});
  }
  info.layout.file_size = static_cast<uint64_t>(st.st_size);
  if (info.contiguous)
    for (const auto& d : info.layout.datasets)
      if (d.offset + d.bytes > info.layout.file_size)
        fail(path, "truncated: dataset /{} ends at byte {} but the file has {}", d.name, d.offset + d.bytes,
             info.layout.file_size);
  return info;
}

nlohmann::json to_json(const StoreInfo& info) {
  return {{"path", info.path},
          {"schema_version", info.schema_version},
          {"identity", to_json(info.header.identity)},
          {"rows", info.header.rows},
          {"rows_written", info.rows_written},
          {"complete", info.complete},
          {"channel_mean", info.channel_mean},
          {"channel_std", info.channel_std},
          {"statistics", info.statistics.to_json()},
          {"creation_time", info.header.creation_time},
          {"tool_version", info.header.tool_version},
          {"file_size", info.layout.file_size}};
}

}  // namespace latentlab::store
