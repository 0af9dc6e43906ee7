// The store is plain HDF5 that h5py reads (store_reference.py, Debian's python3-h5py): a store written by
// latentlab shows h5py the same attributes, dtypes, shapes and values, compared exactly (float16 and
// float32 values are exact in float64, attributes are float64 either way). And the other way round: a
// store written by h5py alone from the documented schema is read and verified by latentlab.
// A missing h5py is a failure, not a skip.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store/reader.h"
#include "store/verify.h"
#include "support/test_support.h"
#include "unit/store/store_test_util.h"

namespace latentlab::store {
namespace {

using namespace store::testing;
using latentlab::testing::ScratchDir;

nlohmann::json h5py_view(const std::string& path, const ScratchDir& dir) {
  const auto r = latentlab::testing::run_reference_python("store/store_reference.py",
                                                          "read " + path + " " + dir.file("view.json"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(latentlab::testing::read_text(dir.file("view.json")));
}

std::vector<double> flat(const at::Tensor& t) {
  const at::Tensor d = t.to(at::kDouble).contiguous();
  return std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
}

void expect_h5py_sees_the_store(const StoreIdentity& id, const char* float_name) {
  ScratchDir dir;
  const int64_t rows = 13;
  write_store(dir.file("s.h5"), id, iota_positions(rows), 5);
  StoreReader reader(dir.file("s.h5"));
  const StoreInfo& info = reader.info();
  const auto view = h5py_view(dir.file("s.h5"), dir);
  const auto& a = view.at("attributes");
  EXPECT_EQ(a.at("format"), "latentlab-latent-store");
  EXPECT_EQ(a.at("schema_version"), kSchemaVersion);
  EXPECT_EQ(a.at("vae_sha256"), id.vae_sha256);
  EXPECT_EQ(a.at("vae_config"), id.vae_config);
  EXPECT_EQ(nlohmann::json::parse(a.at("vae_config").get<std::string>())["latent_channels"], 4);
  EXPECT_EQ(a.at("dataset_fingerprint"), id.dataset_fingerprint);
  EXPECT_EQ(a.at("preprocessing"), id.preprocessing);
  EXPECT_EQ(a.at("latent_dtype"), float_name);
  EXPECT_EQ(a.at("rows"), rows);
  EXPECT_EQ(a.at("rows_written"), rows);
  EXPECT_EQ(a.at("complete"), 1);
  EXPECT_EQ(a.at("flip"), id.flip ? 1 : 0);
  EXPECT_EQ(a.at("creation_time"), info.header.creation_time);
  EXPECT_EQ(a.at("stats_count"), rows * 15);
  EXPECT_EQ(a.at("channel_mean").get<std::vector<double>>(), info.channel_mean);
  EXPECT_EQ(a.at("channel_std").get<std::vector<double>>(), info.channel_std);
  EXPECT_EQ(a.at("stats_mean_m2").get<std::vector<double>>(), to_vector(info.statistics.mean_moments().m2()));

  const auto all = reader.read(iota_positions(rows));
  const auto& d = view.at("datasets");
  for (const char* name : {"mean", "std"}) {
    EXPECT_EQ(d.at(name).at("dtype"), float_name) << name;
    EXPECT_EQ(d.at(name).at("shape"), (std::vector<int64_t>{rows, 4, 3, 5}));
    EXPECT_TRUE(d.at(name).at("contiguous").get<bool>());
  }
  EXPECT_EQ(d.at("mean").at("values").get<std::vector<double>>(), flat(all.mean));
  EXPECT_EQ(d.at("std").at("values").get<std::vector<double>>(), flat(all.std));
  if (id.flip) {
    const auto flipped = reader.read(iota_positions(rows), std::vector<uint8_t>(rows, 1));
    EXPECT_EQ(d.at("mean_flip").at("values").get<std::vector<double>>(), flat(flipped.mean));
    EXPECT_EQ(d.at("std_flip").at("values").get<std::vector<double>>(), flat(flipped.std));
  } else {
    EXPECT_FALSE(d.contains("mean_flip"));
  }
  EXPECT_EQ(d.at("labels").at("dtype"), "int64");
  EXPECT_EQ(d.at("labels").at("values").get<std::vector<double>>(), flat(all.labels));
  if (!id.attribute_names.empty()) {
    EXPECT_EQ(d.at("attributes").at("dtype"), "int32");
    EXPECT_EQ(d.at("attributes").at("shape"), (std::vector<int64_t>{rows, 2}));
    EXPECT_EQ(d.at("attributes").at("attributes").at("names"), id.attribute_names);
    EXPECT_EQ(d.at("attributes").at("values").get<std::vector<double>>(), flat(all.attributes));
  }
  if (id.key_width > 0) {
    EXPECT_EQ(d.at("keys").at("dtype"), "|S" + std::to_string(id.key_width));
    EXPECT_EQ(d.at("keys").at("values").get<std::vector<std::string>>(), all.keys);
    EXPECT_EQ(all.keys[3], key_of(3));
  } else {
    EXPECT_EQ(d.at("keys").at("dtype"), "int64");
  }
  if (id.has_teacher_tokens()) {  // the REPA teacher's tokens (docs/latent-store.md): N x T x D, attributes
    const auto& t = d.at("teacher_tokens");
    EXPECT_EQ(t.at("shape"), (std::vector<int64_t>{rows, 6, 5}));
    EXPECT_EQ(t.at("dtype"), id.teacher_dtype == LatentDType::Float16 ? "float16" : "float32");
    EXPECT_TRUE(t.at("contiguous").get<bool>());
    EXPECT_EQ(t.at("attributes").at("teacher"), id.teacher);
    EXPECT_EQ(t.at("attributes").at("grid_h"), 2);
    EXPECT_EQ(t.at("attributes").at("grid_w"), 3);
    EXPECT_EQ(t.at("values").get<std::vector<double>>(), flat(reader.read_teacher_tokens(iota_positions(rows))));
    if (id.flip) {
      EXPECT_EQ(d.at("teacher_tokens_flip").at("values").get<std::vector<double>>(),
                flat(reader.read_teacher_tokens(iota_positions(rows), std::vector<uint8_t>(rows, 1))));
    }
  } else {
    EXPECT_FALSE(d.contains("teacher_tokens"));
  }
}

TEST(StoreReference, H5pyReadsAFloat16StoreWithFlipsAndStringKeys) {
  expect_h5py_sees_the_store(test_identity(LatentDType::Float16, true, 40), "float16");
}

TEST(StoreReference, H5pyReadsAFloat32StoreWithIntegerKeys) {
  expect_h5py_sees_the_store(test_identity(LatentDType::Float32, false, 0, {}), "float32");
}

TEST(StoreReference, H5pyReadsTeacherTokensInBothDtypes) {
  expect_h5py_sees_the_store(with_teacher_tokens(test_identity(LatentDType::Float16, true, 40)), "float16");
  expect_h5py_sees_the_store(
      with_teacher_tokens(test_identity(LatentDType::Float32, false, 0, {}), LatentDType::Float32), "float32");
}

TEST(StoreReference, LatentlabReadsAndVerifiesAStoreWrittenByH5py) {
  ScratchDir dir;
  const auto r = latentlab::testing::run_reference_python(
      "store/store_reference.py", "write " + dir.file("py.h5") + " --rows 17 --flip --dtype float32 --seed 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = verify_store(dir.file("py.h5"));
  EXPECT_TRUE(report.ok()) << report.problems.front();
  EXPECT_LT(report.max_statistics_error, 1e-12);  // numpy's float64 statistics vs ours
  StoreReader reader(dir.file("py.h5"));
  const auto view = h5py_view(dir.file("py.h5"), dir);
  const auto all = reader.read(iota_positions(17));
  EXPECT_EQ(view["datasets"]["mean"]["values"].get<std::vector<double>>(), flat(all.mean));
  EXPECT_EQ(all.keys[16], "img000016.png");
}

}  // namespace
}  // namespace latentlab::store
