// io/pth.h on small files assembled in C++ (tests/unit/io/pth_fixtures.h), in both containers. Expected values
// are written out by hand from the storages and the (size, stride, offset) of each view; tests/reference/ checks
// real torch.save output.
#include "io/pth.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>

#include "core/error.h"
#include "io/torch_pickle.h"
#include "io/weights.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"
#include "unit/io/pth_fixtures.h"

namespace latentlab::io {
namespace {

using testing::PickleWriter;
using testing::ScratchDir;
using testing::StorageBlob;
using Kind = PickleValue::Kind;

template <typename T>
std::vector<T> values(const Array& a) {
  std::vector<T> out(a.nbytes / sizeof(T));
  if (a.nbytes) std::memcpy(out.data(), a.data, a.nbytes);
  return out;
}

const Array& find(const NamedArrays& arrays, const std::string& name) {
  for (const auto& [n, a] : arrays)
    if (n == name) return a;
  throw std::runtime_error("no array " + name);
}

std::vector<std::string> names(const NamedArrays& arrays) {
  std::vector<std::string> out;
  for (const auto& [n, a] : arrays) out.push_back(n);
  return out;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

void expect_small_state_dict(const NamedArrays& arrays) {
  ASSERT_EQ(names(arrays), (std::vector<std::string>{"w", "wt", "b", "e", "s", "z"}));
  const Array& w = find(arrays, "w");
  EXPECT_EQ(w.dtype, DType::F32);
  EXPECT_EQ(w.shape, (Shape{2, 3}));
  EXPECT_EQ(values<float>(w), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  const Array& wt = find(arrays, "wt");  // transpose sharing w's storage
  EXPECT_EQ(wt.shape, (Shape{3, 2}));
  EXPECT_EQ(values<float>(wt), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  const Array& b = find(arrays, "b");  // slice with storage offset 1
  EXPECT_EQ(b.dtype, DType::I64);
  EXPECT_EQ(values<int64_t>(b), (std::vector<int64_t>{-11, 12, -13}));
  const Array& e = find(arrays, "e");  // expand(): stride 0
  EXPECT_EQ(e.shape, (Shape{3, 4}));
  EXPECT_EQ(values<float>(e), (std::vector<float>{.5, .5, .5, .5, 1.5, 1.5, 1.5, 1.5, 2.5, 2.5, 2.5, 2.5}));
  const Array& s = find(arrays, "s");  // 0-d
  EXPECT_EQ(s.dtype, DType::F64);
  EXPECT_EQ(s.shape, Shape{});
  EXPECT_EQ(values<double>(s), (std::vector<double>{3.25}));
  const Array& z = find(arrays, "z");
  EXPECT_EQ(z.dtype, DType::F16);
  EXPECT_EQ(z.shape, (Shape{2, 0}));
  EXPECT_EQ(z.nbytes, 0u);
}

std::string write_legacy(const ScratchDir& dir, const std::string& pickle, const std::vector<StorageBlob>& storages,
                         bool little_endian = true) {
  const std::string path = dir.file("legacy.pth");
  testing::write_bytes(path, testing::legacy_pth(pickle, storages, little_endian));
  return path;
}

TEST(Pth, LegacyStateDict) {
  ScratchDir dir;
  const auto sd = testing::small_state_dict(true);
  const std::string path = write_legacy(dir, sd.pickle, sd.storages);
  expect_small_state_dict(read_pth(path));
  const PthFile file(path);
  EXPECT_EQ(file.format(), PthFile::Format::Legacy);
  const auto items = flatten(file.root(), path);
  ASSERT_EQ(items.size(), 7u);
  EXPECT_EQ(items[6].name, "epoch");
  EXPECT_EQ(items[6].value->integer, 7);
}

#ifdef LATENTLAB_WITH_ZIP
TEST(Pth, ZipStateDict) {
  ScratchDir dir;
  const auto sd = testing::small_state_dict(false);
  testing::write_zip_pth(dir.file("m.pth"), sd.pickle, sd.storages, "m");
  expect_small_state_dict(read_pth(dir.file("m.pth")));
  EXPECT_EQ(PthFile(dir.file("m.pth")).format(), PthFile::Format::Zip);
}

TEST(Pth, ZipErrors) {
  ScratchDir dir;
  const auto sd = testing::small_state_dict(false);
  auto without = sd.storages;
  without.erase(without.begin() + 1);
  testing::write_zip_pth(dir.file("a.pth"), sd.pickle, without);
  EXPECT_CONTAINS(error_of([&] { PthFile f(dir.file("a.pth")); }), "storage '1' has no entry 'archive/data/1'");
  auto shorter = sd.storages;
  shorter[0].bytes.resize(20);
  testing::write_zip_pth(dir.file("b.pth"), sd.pickle, shorter);
  EXPECT_CONTAINS(error_of([&] { PthFile f(dir.file("b.pth")); }),
                  "entry 'archive/data/0' has 20 bytes, its tensors need 24");
  ZipWriter npz(dir.file("c.pth"), false);
  npz.add("x.npy", {1, 2, 3});
  npz.commit();
  EXPECT_CONTAINS(error_of([&] { PthFile f(dir.file("c.pth")); }), "without a <name>/data.pkl");
  ZipWriter big(dir.file("d.pth"), false);
  big.add("archive/data.pkl", std::vector<uint8_t>(sd.pickle.begin(), sd.pickle.end()));
  big.add("archive/byteorder", {'b', 'i', 'g'});
  big.commit();
  EXPECT_CONTAINS(error_of([&] { PthFile f(dir.file("d.pth")); }), "byte order 'big'");
  PickleWriter bad;
  bad.proto().empty_dict().op('h').le(9, 1).stop();
  testing::write_zip_pth(dir.file("e.pth"), bad.bytes(), {});
  EXPECT_EQ(error_of([&] { PthFile f(dir.file("e.pth")); }),
            dir.file("e.pth") + ": entry 'archive/data.pkl': pickle opcode 0x68 at byte 3: memo key 9 not found");
}
#else
// Without libzip (io/zip_archive_unavailable.cpp) a zip-format .pth is refused at opening with one line naming it
// and the way out, by PthFile and by load_weights alike; legacy files still read (the tests below).
TEST(Pth, ZipRefusedWithoutLibzip) {
  ScratchDir dir;
  const std::string path = dir.file("m.pth");
  testing::write_bytes(path, std::string("PK\x03\x04", 4) + std::string(60, '\0'));
  const std::string line = path +
                           ": zip archives (.npz, zip-format .pth) need libzip: install libzip-dev and reconfigure, or "
                           "re-save a .pth with torch.save(..., _use_new_zipfile_serialization=False)";
  EXPECT_EQ(error_of([&] { PthFile f(path); }), line);
  EXPECT_EQ(error_of([&] { load_weights(path); }), line);
}
#endif

TEST(Pth, LegacyStorageView) {
  ScratchDir dir;
  PickleWriter w;  // a tensor on elements [4, 7) of a 10-float storage, itself sliced from element 1
  w.proto().empty_dict().str("v").global("torch._utils", "_rebuild_tensor_v2").mark();
  w.mark().str("storage").global("torch", "FloatStorage").str("7").str("cpu").integer(10);
  w.str("8").integer(4).integer(3).op(0x87).tuple().op('Q');
  w.integer(1).int_tuple({2}).int_tuple({1}).boolean(false).empty_dict().tuple().op('R').op('s').stop();
  const std::string path =
      write_legacy(dir, w.bytes(), {{"7", 4, testing::bytes_of(std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})}});
  EXPECT_EQ(values<float>(find(read_pth(path), "v")), (std::vector<float>{5, 6}));
}

TEST(Pth, LegacyErrors) {
  ScratchDir dir;
  const auto sd = testing::small_state_dict(true);
  auto err = [&](const std::string& bytes) {
    testing::write_bytes(dir.file("x.pth"), bytes);
    return error_of([&] { PthFile f(dir.file("x.pth")); });
  };
  EXPECT_CONTAINS(err(testing::legacy_pth(sd.pickle, sd.storages, false)), "big-endian");
  auto shorter = sd.storages;
  shorter[1].bytes.resize(16);
  EXPECT_CONTAINS(err(testing::legacy_pth(sd.pickle, shorter)), "storage '94002' holds 2 elements, the tensors need 4");
  auto missing = sd.storages;
  missing.pop_back();
  EXPECT_CONTAINS(err(testing::legacy_pth(sd.pickle, missing)), "storage '94005' is missing");
  auto extra = sd.storages;
  extra.push_back({"123", 4, ""});
  EXPECT_CONTAINS(err(testing::legacy_pth(sd.pickle, extra)), "storage '123' has data but no tensor refers to it");
  const std::string full = testing::legacy_pth(sd.pickle, sd.storages);
  EXPECT_CONTAINS(err(full.substr(0, full.size() - 3)), "storage '94005' at byte");  // last record cut short
  EXPECT_CONTAINS(err(std::string("\x80\x02K\x05.", 5)), "not a PyTorch file: its first pickle is 5");
  EXPECT_CONTAINS(err(""), "not a PyTorch file");
  EXPECT_CONTAINS(err("{\"hello\": 1}"), "not a PyTorch file");
  std::string tar(1024, '\0');
  tar.replace(257, 5, "ustar");
  EXPECT_CONTAINS(err(tar), "tar-based");
}

TEST(Pth, ExpansionIsCapped) {
  ScratchDir dir;
  const auto sd = testing::small_state_dict(true);
  const std::string path = write_legacy(dir, sd.pickle, sd.storages);
  PthOptions options;
  options.max_expanded_bytes = 40;  // 'e' is 48 bytes from a 12-byte storage
  EXPECT_CONTAINS(error_of([&] { read_pth(path, "", options); }), "expands a 12-byte storage to 48 bytes");
}

// A state dict {name: tensor} on one FloatStorage "0" of 4 floats, nested under `outer` keys.
std::string nested_pickle(const std::vector<std::pair<std::string, std::vector<std::string>>>& groups,
                          bool with_epoch) {
  PickleWriter w;
  w.proto().empty_dict().mark();
  for (const auto& [outer, inner] : groups) {
    w.str(outer).empty_dict().mark();
    for (const auto& name : inner) w.str(name).tensor("FloatStorage", "0", 4, 0, {4}, {1}, false);
    w.setitems();
  }
  if (with_epoch) w.str("epoch").integer(3);
  w.setitems().stop();
  return w.bytes();
}

std::vector<std::string> selected(const std::string& pickle, const std::string& prefix) {
  StorageTable table;
  const Unpickled u = unpickle(reinterpret_cast<const uint8_t*>(pickle.data()), pickle.size(), {"t", "", 0},
                               torch_pickle_hooks(&table));
  std::vector<std::string> out;
  for (const auto& item : select_tensors(*u.root, prefix, "t.pth")) out.push_back(item.name);
  return out;
}

TEST(PthSelect, AutoPrefersTopLevelThenKnownKeys) {
  const auto sd = nested_pickle({{"state_dict", {"enc.w", "dec.w"}}}, true);
  EXPECT_EQ(selected(sd, ""), (std::vector<std::string>{"enc.w", "dec.w"}));
  const auto me = nested_pickle({{"model", {"a"}}, {"ema", {"b"}}}, false);
  EXPECT_EQ(selected(me, ""), (std::vector<std::string>{"a"}));
  EXPECT_EQ(selected(me, "ema"), (std::vector<std::string>{"b"}));
  const auto em = nested_pickle({{"ema", {"b"}}, {"module", {"c"}}}, false);
  EXPECT_EQ(selected(em, ""), (std::vector<std::string>{"b"}));
  PickleWriter flat;  // top-level tensors: everything, nested ones included
  flat.proto().empty_dict().mark().str("x").tensor("FloatStorage", "0", 4, 0, {4}, {1}, false);
  flat.str("sub").empty_dict().str("y").tensor("FloatStorage", "0", 4, 0, {2}, {1}, false).op('s').setitems().stop();
  EXPECT_EQ(selected(flat.bytes(), ""), (std::vector<std::string>{"x", "sub.y"}));
  EXPECT_EQ(selected(flat.bytes(), "sub"), (std::vector<std::string>{"y"}));
}

TEST(PthSelect, ErrorsListTheTopLevel) {
  const auto gd = nested_pickle({{"generator", {"a"}}, {"discriminator", {"b"}}}, true);
  const std::string none = error_of([&] { selected(gd, ""); });
  EXPECT_CONTAINS(none, "none under state_dict, model, ema, module or net");
  EXPECT_CONTAINS(none, "top-level keys: generator, discriminator, epoch");
  EXPECT_CONTAINS(error_of([&] { selected(gd, "ema"); }), "no tensors under 'ema' (top-level keys: generator");
  PickleWriter dup;
  dup.proto().empty_dict().mark().str("a.b").tensor("FloatStorage", "0", 4, 0, {4}, {1}, false);
  dup.str("a").empty_dict().str("b").tensor("FloatStorage", "0", 4, 0, {4}, {1}, false).op('s').setitems().stop();
  EXPECT_CONTAINS(error_of([&] { selected(dup.bytes(), ""); }), "tensor name 'a.b' appears twice");
  PickleWriter empty;
  empty.proto().empty_dict().str("epoch").integer(1).op('s').stop();
  EXPECT_CONTAINS(error_of([&] { selected(empty.bytes(), ""); }), "holds no tensors (top-level keys: epoch)");
}

TEST(PthFlatten, NamesListsIntKeysAndBoundsDepth) {
  PickleWriter w;  // {'opt': {'state': {0: {'step': 5}}, 'groups': [{'lr': 0.5}]}}
  w.proto().empty_dict().str("opt").empty_dict().mark().str("state").empty_dict().integer(0).empty_dict();
  w.str("step").integer(5).op('s').op('s').str("groups").empty_list().empty_dict().str("lr");
  w.op('G').raw(std::string("\x3f\xe0\0\0\0\0\0\0", 8)).op('s').op('a').setitems().op('s').stop();
  const Unpickled u = unpickle(reinterpret_cast<const uint8_t*>(w.bytes().data()), w.bytes().size(), {"t", "", 0});
  const auto items = flatten(*u.root, "t");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].name, "opt.state.0.step");
  EXPECT_EQ(items[1].name, "opt.groups.0.lr");
  EXPECT_EQ(items[1].value->real, 0.5);
  // l = [l]: a self-referencing list nests forever.
  const std::string loop(
      "\x80\x02]q\x00h\x00"
      "a.",
      9);
  const Unpickled cyclic = unpickle(reinterpret_cast<const uint8_t*>(loop.data()), loop.size(), {"t", "", 0});
  EXPECT_CONTAINS(error_of([&] { flatten(*cyclic.root, "t"); }), "nested deeper than 100 levels");
  // 40 levels of l_{i+1} = [l_i, l_i]: 2^40 paths through shared lists.
  PickleWriter bomb;
  bomb.proto().none();
  for (int i = 0; i < 40; ++i) bomb.op('2').op(0x86);
  bomb.stop();
  const Unpickled b =
      unpickle(reinterpret_cast<const uint8_t*>(bomb.bytes().data()), bomb.bytes().size(), {"t", "", 0});
  EXPECT_CONTAINS(error_of([&] { flatten(*b.root, "t"); }), "(a self-referencing pickle?)");
}

}  // namespace
}  // namespace latentlab::io
