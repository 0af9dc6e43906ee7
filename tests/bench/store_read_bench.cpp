// Random batched reads from a latent store: latentlab's StoreReader against h5py (store_read_bench.py)
// reading the same file with the same batches in the same run. A benchmark, not a test (DESIGN.md).
//
//   bench_store_read [--rows 100000] [--dtype float32|float16] [--batches 300] [--path FILE]
//       Writes FILE once (32 x 16 x 16 latents, mean + std; reused while it matches), reads it whole so it
//       sits in the page cache, draws --batches sets of 256 random rows (sorted: h5py's fancy indexing
//       needs increasing indices), then times StoreReader::read (mean, std, labels, keys; float32 out) and
//       h5py (the same four datasets). Prints latents/s for both and the ratio; then, with --encode N (default
//       8; 0 skips), the rate of re-encoding N 256x256 images with the f16d32 VAE and the ratio to it.
//   bench_store_read --layouts [--rows 20000]
//       The chunking measurement of docs/latent-store.md: one float32 dataset of rows x 32 x 16 x 16 written
//       with plain HDF5 in several layouts (contiguous, chunks of 1/16/64/256 rows, gzip+shuffle), then
//       random batches of 256 rows and a sequential pass read through H5Dread.
#if __has_include(<hdf5.h>)  // the bench links latentlab_store (and so HDF5) where that target exists
#include <hdf5.h>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <fmt/format.h>

#include "core/allocator.h"
#include "models/autoencoder_kl.h"
#include "store/reader.h"
#include "store/writer.h"
#include "support/test_support.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace latentlab;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == "--" + name) return argv[i + 1];
  return fallback;
}
bool flag(int argc, char** argv, const std::string& name) {
  for (int i = 1; i < argc; ++i)
    if (argv[i] == "--" + name) return true;
  return false;
}

uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

void warm(const std::string& path) {  // read the whole file once: the benchmark is about the page cache
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buffer(1 << 24);
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
  }
}

std::vector<std::vector<int64_t>> random_batches(int64_t rows, int count, int size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<int64_t>> out;
  for (int b = 0; b < count; ++b) {
    std::vector<int64_t> batch;
    while (static_cast<int>(batch.size()) < size) {
      batch.push_back(static_cast<int64_t>(rng() % static_cast<uint64_t>(rows)));
      if (static_cast<int>(batch.size()) == size) {
        std::sort(batch.begin(), batch.end());
        batch.erase(std::unique(batch.begin(), batch.end()), batch.end());
      }
    }
    out.push_back(batch);
  }
  return out;
}

store::StoreIdentity bench_identity(store::LatentDType dtype) {
  store::StoreIdentity id;
  id.vae_sha256 = "bench";
  id.vae_config = "{}";
  id.dataset_fingerprint = "random-normal";
  id.preprocessing = "none";
  id.dtype = dtype;
  id.latent_shape = {32, 16, 16};
  id.key_width = 0;
  return id;
}

void ensure_store(const std::string& path, int64_t rows, store::LatentDType dtype) {
  store::WriterOptions options;
  options.sync = false;
  auto writer = store::StoreWriter::open_or_resume(path, bench_identity(dtype), rows, options);
  if (writer.complete()) return;
  const auto start = Clock::now();
  at::manual_seed(0);
  // One random block, shifted per batch: the contents do not matter to read speed, generating them does.
  const at::Tensor mean = at::randn({1024, 32, 16, 16}), std = at::rand({1024, 32, 16, 16}) * 0.5 + 0.05;
  for (int64_t row = writer.next_row(); row < rows; row += 1024) {
    const int64_t n = std::min<int64_t>(1024, rows - row);
    store::StoreBatch b;
    b.mean = mean.narrow(0, 0, n) + static_cast<double>(row) * 1e-6;
    b.std = std.narrow(0, 0, n);
    b.labels = at::randint(1000, {n}, at::kLong);
    for (int64_t i = 0; i < n; ++i) b.indices.push_back(row + i);
    writer.append(b);
  }
  writer.finish();
  fmt::print("wrote {} ({} rows, {:.2f} GB) in {:.1f} s\n", path, rows, file_size(path) / 1e9, seconds_since(start));
}

// What a store saves: latents/s of encoding `images` random 256x256 images with the f16d32 VAE (the
// 32x16x16 latents of the store above) on this machine's CPU, in batches of up to 8, after one warm-up batch.
double encode_rate(int images) {
  at::manual_seed(0);
  models::AutoencoderKL vae(models::AutoencoderKLConfig::preset_config("f16d32"));
  c10::NoGradGuard no_grad;
  const int batch = std::min(images, 8);
  vae.encode(at::rand({1, 3, 256, 256}) * 2 - 1);
  const auto start = Clock::now();
  for (int done = 0; done < images; done += batch)
    vae.encode(at::rand({std::min(batch, images - done), 3, 256, 256}) * 2 - 1);
  return images / seconds_since(start);
}

int bench_reader(int argc, char** argv) {
  const int64_t rows = std::stoll(arg(argc, argv, "rows", "100000"));
  const int batches = std::stoi(arg(argc, argv, "batches", "300"));
  const auto dtype = store::parse_dtype(arg(argc, argv, "dtype", "float32"), "--dtype");
  const std::string path =
      arg(argc, argv, "path", fmt::format("/tmp/latentlab-bench-store-{}-{}.h5", rows, store::dtype_name(dtype)));
  ensure_store(path, rows, dtype);
  warm(path);
  const auto sets = random_batches(rows, batches, 256, 7);
  const std::string index_file = path + ".batches";
  {
    std::ofstream out(index_file, std::ios::binary);
    for (const auto& s : sets) {
      const int64_t n = static_cast<int64_t>(s.size());
      out.write(reinterpret_cast<const char*>(&n), 8);
      out.write(reinterpret_cast<const char*>(s.data()), static_cast<std::streamsize>(8 * s.size()));
    }
  }
  store::StoreReader reader(path);
  int64_t latents = 0;
  double checksum = 0;
  reader.read(sets[0]);  // first-touch
  const auto start = Clock::now();
  for (const auto& s : sets) {
    const auto b = reader.read(s);
    latents += b.mean.size(0);
    checksum += b.mean[0][0][0][0].item<float>();
  }
  const double ours = latents / seconds_since(start);
  const auto py = latentlab::testing::run_command(std::string(LATENTLAB_REFERENCE_PYTHON) + " " + LATENTLAB_SOURCE_DIR +
                                                  "/tests/bench/store_read_bench.py " + path + " " + index_file);
  std::remove(index_file.c_str());
  if (py.exit_code != 0) {
    fmt::print(stderr, "h5py peer failed: {}\n", py.err);
    return 1;
  }
  const double theirs = std::stod(py.out);
  fmt::print("store {} rows x 32x16x16 {} ({:.2f} GB, page cache), {} random batches of 256 (mean+std+labels+keys)\n",
             rows, store::dtype_name(dtype), file_size(path) / 1e9, batches);
  fmt::print(
      "latentlab StoreReader: {:.0f} latents/s\nh5py 3.7 (same batches): {:.0f} latents/s\nratio: {:.2f}x "
      "(checksum {:.3f})\n",
      ours, theirs, ours / theirs, checksum);
  const int encode = std::stoi(arg(argc, argv, "encode", "8"));
  if (encode > 0) {
    const double encoded = encode_rate(encode);
    fmt::print(
        "re-encoding with f16d32 at 256x256 (random weights, batch {}): {:.2f} latents/s\n"
        "store reads / re-encoding: {:.0f}x\n",
        std::min(encode, 8), encoded, ours / encoded);
  }
  return 0;
}

// --- layouts -------------------------------------------------------------------------------------------

struct Layout {
  std::string name;
  hsize_t chunk_rows;  // 0: contiguous
  bool gzip;
};

int bench_layouts(int argc, char** argv) {
  const int64_t rows = std::stoll(arg(argc, argv, "rows", "20000"));
  const hsize_t dims[4] = {static_cast<hsize_t>(rows), 32, 16, 16};
  const size_t row_values = 32 * 16 * 16;
  std::vector<float> data(static_cast<size_t>(rows) * row_values);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  for (auto& v : data) v = normal(rng);
  const auto sets = random_batches(rows, 100, 256, 3);
  fmt::print("| layout | file MB | write s | random 256-row batches: latents/s | sequential: latents/s |\n");
  fmt::print("|---|---|---|---|---|\n");
  for (const Layout& l : std::vector<Layout>{{"contiguous", 0, false},
                                             {"chunks of 1 row", 1, false},
                                             {"chunks of 16 rows", 16, false},
                                             {"chunks of 64 rows", 64, false},
                                             {"chunks of 256 rows", 256, false},
                                             {"chunks of 1 row, shuffle+gzip 1", 1, true},
                                             {"chunks of 16 rows, shuffle+gzip 1", 16, true}}) {
    const std::string path = fmt::format("/tmp/latentlab-layout-{}.h5", l.chunk_rows * 2 + l.gzip);
    auto start = Clock::now();
    {
      const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
      const hid_t space = H5Screate_simple(4, dims, nullptr);
      const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
      if (l.chunk_rows) {
        const hsize_t chunk[4] = {l.chunk_rows, 32, 16, 16};
        H5Pset_chunk(dcpl, 4, chunk);
        if (l.gzip) H5Pset_shuffle(dcpl), H5Pset_deflate(dcpl, 1);
      }
      const hid_t ds = H5Dcreate2(file, "mean", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
      H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data());
      H5Dclose(ds), H5Pclose(dcpl), H5Sclose(space), H5Fclose(file);
    }
    const double write_s = seconds_since(start);
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    const hid_t ds = H5Dopen2(file, "mean", H5P_DEFAULT);
    const hid_t space = H5Dget_space(ds);
    std::vector<float> out(256 * row_values);
    int64_t latents = 0;
    start = Clock::now();
    for (const auto& s : sets) {  // one hyperslab union per batch, like h5py's fancy indexing
      H5Sselect_none(space);
      for (const int64_t r : s) {
        const hsize_t offset[4] = {static_cast<hsize_t>(r), 0, 0, 0}, count[4] = {1, 32, 16, 16};
        H5Sselect_hyperslab(space, H5S_SELECT_OR, offset, nullptr, count, nullptr);
      }
      const hsize_t mdims[4] = {s.size(), 32, 16, 16};
      const hid_t memory = H5Screate_simple(4, mdims, nullptr);
      H5Dread(ds, H5T_NATIVE_FLOAT, memory, space, H5P_DEFAULT, out.data());
      H5Sclose(memory);
      latents += static_cast<int64_t>(s.size());
    }
    const double random_rate = latents / seconds_since(start);
    start = Clock::now();
    std::vector<float> block(1024 * row_values);
    for (int64_t r = 0; r < rows; r += 1024) {
      const hsize_t n = static_cast<hsize_t>(std::min<int64_t>(1024, rows - r));
      const hsize_t offset[4] = {static_cast<hsize_t>(r), 0, 0, 0}, count[4] = {n, 32, 16, 16};
      H5Sselect_hyperslab(space, H5S_SELECT_SET, offset, nullptr, count, nullptr);
      const hid_t memory = H5Screate_simple(4, count, nullptr);
      H5Dread(ds, H5T_NATIVE_FLOAT, memory, space, H5P_DEFAULT, block.data());
      H5Sclose(memory);
    }
    const double sequential_rate = rows / seconds_since(start);
    H5Sclose(space), H5Dclose(ds), H5Fclose(file);
    fmt::print("| {} | {:.0f} | {:.1f} | {:.0f} | {:.0f} |\n", l.name, file_size(path) / 1e6, write_s, random_rate,
               sequential_rate);
    std::remove(path.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  latentlab::tune_allocator();  // as the latentlab program does (core/allocator.h)
  try {
    return flag(argc, argv, "layouts") ? bench_layouts(argc, argv) : bench_reader(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_store_read: {}\n", e.what());
    return 1;
  }
}
#else
#include <cstdio>
int main() {
  std::fprintf(stderr, "bench_store_read: this build does not link latentlab_store (HDF5) into the benchmark\n");
  return 1;
}
#endif
