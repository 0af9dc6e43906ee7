// Broken .pth files must end in success or a latentlab::UserError: never a crash, a hang, another exception
// type or a sanitizer report. Base files are assembled in C++ (tests/unit/io/pth_fixtures.h), so no Python is
// needed. Cases: every truncation of a small legacy and a small zip file, a corpus of hand-made hostile
// pickles (oversized lengths, bad opcodes, views outside their storage, negative and huge sizes, recursion
// and sharing bombs, memo misses) in both containers, and seeded random mutations of valid files and pickles.
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <typeinfo>

#include "core/error.h"
#include "io/pth.h"
#include "io/torch_pickle.h"
#include "support/test_support.h"
#include "unit/io/pth_fixtures.h"

namespace latentlab::io {
namespace {

using testing::PickleWriter;
using testing::ScratchDir;
using testing::StorageBlob;

PthOptions fuzz_options() {
  PthOptions options;
  options.max_expanded_bytes = 1 << 20;  // keeps expand() cases cheap; the default cap is tested in unit tests
  return options;
}

struct Tally {
  int ok = 0;
  int rejected = 0;
};

// Opens `path` and touches everything a command would: every leaf, every tensor's data, the selection.
void exercise(const std::string& path, const std::string& what, Tally& tally) {
  try {
    const PthFile file(path, fuzz_options());
    for (const PthItem& item : flatten(file.root(), path)) {
      (void)describe(*item.value);
      if (item.value->is(PickleValue::Kind::Tensor)) (void)file.read(*item.value->tensor, item.name);
    }
    (void)select_tensors(file.root(), "", path);
    ++tally.ok;
  } catch (const UserError&) {
    ++tally.rejected;
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": " << typeid(e).name() << ": " << e.what();
  }
}

void exercise_pickle(const std::string& bytes, const std::string& what, Tally& tally) {
  try {
    StorageTable table;
    const Unpickled u = unpickle(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), {"fuzz", "", 0},
                                 torch_pickle_hooks(&table));
    for (const PthItem& item : flatten(*u.root, "fuzz")) (void)describe(*item.value);
    ++tally.ok;
  } catch (const UserError&) {
    ++tally.rejected;
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": " << typeid(e).name() << ": " << e.what();
  }
}

std::string mutate(std::string bytes, std::mt19937& rng) {
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !bytes.empty(); ++e) {
    const size_t at = rng() % bytes.size();
    static const char kInteresting[] = {0, 1, 2, 0x7f, static_cast<char>(0x80), static_cast<char>(0xff), '(', '.'};
    switch (rng() % 5) {
      case 0:
        bytes[at] = static_cast<char>(rng());
        break;
      case 1:
        bytes[at] = static_cast<char>(bytes[at] ^ (1 << (rng() % 8)));
        break;
      case 2:
        bytes[at] = kInteresting[rng() % sizeof kInteresting];
        break;
      case 3:
        bytes.insert(at, 1, static_cast<char>(rng()));
        break;
      default:
        bytes.erase(at, 1);
        break;
    }
  }
  return bytes;
}

std::string legacy_file() {
  const auto sd = testing::small_state_dict(true);
  return testing::legacy_pth(sd.pickle, sd.storages);
}

// Hostile pickles; each is tried as the object of a legacy file and as data.pkl of a zip file.
std::vector<std::pair<std::string, std::string>> hostile_pickles() {
  std::vector<std::pair<std::string, std::string>> cases;
  auto add = [&](const std::string& name, const PickleWriter& w) { cases.emplace_back(name, w.bytes()); };
  auto tensor = [](const std::string& type, int64_t numel, int64_t offset, const std::vector<int64_t>& size,
                   const std::vector<int64_t>& stride) {
    PickleWriter w;
    w.proto().empty_dict().str("t").tensor(type, "94001", numel, offset, size, stride, true).op('s').stop();
    return w;
  };
  add("huge BINUNICODE", PickleWriter().proto().op('X').le(0xffffffffu, 4).raw("ab").stop());
  add("huge BINUNICODE8", PickleWriter().proto().op(0x8d).le(uint64_t{1} << 63, 8).stop());
  add("huge BINBYTES8", PickleWriter().proto().op(0x8e).le(~uint64_t{0}, 8).stop());
  add("huge LONG4", PickleWriter().proto().op(0x8b).le(0x7fffffff, 4).stop());
  add("huge FRAME", PickleWriter().proto(4).op(0x95).le(~uint64_t{0}, 8).none().stop());
  add("unknown opcode", PickleWriter().proto().op(0xfe).stop());
  add("STRING", PickleWriter().proto().raw("S'x'\n").stop());
  add("INST", PickleWriter().proto().raw("ios\nsystem\n").stop());
  add("memo miss", PickleWriter().proto().op('h').le(200, 1).stop());
  add("memo miss long", PickleWriter().proto().op('j').le(0xffffffffu, 4).stop());
  add("memo far put", PickleWriter().proto().none().op('r').le(0xffffffffu, 4).op('j').le(0xffffffffu, 4).stop());
  add("empty stack", PickleWriter().proto().op('R').stop());
  add("storage too small", tensor("FloatStorage", 6, 0, {2, 4}, {4, 1}));
  add("offset past storage", tensor("FloatStorage", 6, 6, {1}, {1}));
  add("stride past storage", tensor("FloatStorage", 6, 0, {2, 3}, {100, 1}));
  add("negative size", tensor("FloatStorage", 6, 0, {-1, 3}, {3, 1}));
  add("negative offset", tensor("FloatStorage", 6, -2, {3}, {1}));
  add("huge numel", tensor("FloatStorage", int64_t{1} << 61, 0, {int64_t{1} << 61}, {1}));
  add("huge expand", tensor("FloatStorage", 6, 0, {int64_t{1} << 40, int64_t{1} << 20}, {0, 0}));
  add("overflowing size", tensor("FloatStorage", 6, 0, {int64_t{1} << 62, 16}, {0, 0}));
  add("unknown storage", tensor("ComplexDoubleStorage", 6, 0, {6}, {1}));
  PickleWriter marks;
  marks.proto();
  for (int i = 0; i < 70000; ++i) marks.mark();
  add("mark bomb", marks.stop());
  PickleWriter deep_lists;  // [[[[...]]]] 100k deep
  deep_lists.proto();
  for (int i = 0; i < 100000; ++i) deep_lists.empty_list();
  for (int i = 0; i < 99999; ++i) deep_lists.op('a');
  add("deep lists", deep_lists.stop());
  PickleWriter deep_dicts;  // {'k': {'k': ...}} 50k deep
  deep_dicts.proto();
  for (int i = 0; i < 50000; ++i) deep_dicts.empty_dict().str("k");
  deep_dicts.none();
  for (int i = 0; i < 50000; ++i) deep_dicts.op('s');
  add("deep dicts", deep_dicts.stop());
  PickleWriter objects;  // a chain of 100k objects, each the callable of the next
  objects.proto().global("m", "f");
  for (int i = 0; i < 100000; ++i) objects.op(')').op('R');
  add("object chain", objects.stop());
  PickleWriter sharing;  // t_{i+1} = {'a': t_i, 'b': t_i}: 2^60 paths
  sharing.proto().str("x");
  for (int i = 0; i < 60; ++i)
    sharing.op('q').le(0, 1).op('0').empty_dict().str("a").op('h').le(0, 1).op('s').str("b").op('h').le(0, 1).op('s');
  add("sharing bomb", sharing.stop());
  PickleWriter copies;  // L = [0..999]; set(L) 100k times: each call copies L
  copies.proto().global("builtins", "set").op('q').le(1, 1).op('0').empty_list().op('q').le(0, 1).mark();
  for (int i = 0; i < 1000; ++i) copies.integer(i);
  copies.appends().op('0');
  for (int i = 0; i < 100000; ++i) copies.op('h').le(1, 1).op('h').le(0, 1).op(0x85).op('R').op('0');
  add("copy bomb", copies.none().stop());
  PickleWriter cycle;  // d = {}; d['self'] = d
  cycle.proto().empty_dict().op('q').le(0, 1).str("self").op('h').le(0, 1).op('s');
  add("self-referencing dict", cycle.stop());
  return cases;
}

class PthFuzz : public ::testing::Test {
 protected:
  void TearDown() override {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::printf("  %d accepted, %d rejected in %.2f s\n", tally_.ok, tally_.rejected, seconds);
  }
  ScratchDir dir_;
  Tally tally_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

TEST_F(PthFuzz, LegacyTruncatedAtEveryLength) {
  const std::string full = legacy_file();
  const std::string path = dir_.file("t.pth");
  for (size_t n = 0; n <= full.size(); ++n) {
    testing::write_bytes(path, full.substr(0, n));
    exercise(path, "legacy truncated to " + std::to_string(n), tally_);
  }
  EXPECT_EQ(tally_.ok, 1);  // only the whole file is complete (the bytes after the last record are none)
}

#ifdef LATENTLAB_WITH_ZIP
TEST_F(PthFuzz, ZipTruncatedAtEveryLength) {
  const auto sd = testing::small_state_dict(false);
  testing::write_zip_pth(dir_.file("base.pth"), sd.pickle, sd.storages);
  const std::string full = testing::read_text(dir_.file("base.pth"));
  const std::string path = dir_.file("t.pth");
  for (size_t n = 0; n <= full.size(); ++n) {
    testing::write_bytes(path, full.substr(0, n));
    exercise(path, "zip truncated to " + std::to_string(n), tally_);
  }
  EXPECT_GE(tally_.ok, 1);
}
#endif

TEST_F(PthFuzz, HostileCorpus) {
  for (const auto& [name, pickle] : hostile_pickles()) {
    const auto sd = testing::small_state_dict(true);
    testing::write_bytes(dir_.file("l.pth"), testing::legacy_pth(pickle, {sd.storages[0]}));
    exercise(dir_.file("l.pth"), "legacy: " + name, tally_);
#ifdef LATENTLAB_WITH_ZIP
    testing::write_zip_pth(dir_.file("z.pth"), pickle, {{"94001", 4, sd.storages[0].bytes}});
    exercise(dir_.file("z.pth"), "zip: " + name, tally_);
#endif
    exercise_pickle(pickle, "pickle: " + name, tally_);
  }
  // Container-level lies: a legacy record claiming 2^62 elements, and a huge claimed storage size.
  const auto sd = testing::small_state_dict(true);
  std::string lie = legacy_file();
  const size_t record = lie.size() - sd.storages.back().bytes.size() - 8 - 8 - 8;  // count of the 2nd-last one
  lie.replace(record, 8, std::string("\0\0\0\0\0\0\0\x40", 8));
  testing::write_bytes(dir_.file("lie.pth"), lie);
  exercise(dir_.file("lie.pth"), "legacy record of 2^62 elements", tally_);
}

TEST_F(PthFuzz, RandomMutationsOfValidFiles) {
  std::mt19937 rng(20240611);
  const std::string legacy = legacy_file();
  const std::string path = dir_.file("m.pth");
  for (int i = 0; i < 3000; ++i) {
    testing::write_bytes(path, mutate(legacy, rng));
    exercise(path, "legacy mutation " + std::to_string(i), tally_);
  }
  const auto sd = testing::small_state_dict(false);
  for (int i = 0; i < 5000; ++i)
    exercise_pickle(mutate(sd.pickle, rng), "pickle mutation " + std::to_string(i), tally_);
#ifdef LATENTLAB_WITH_ZIP
  for (int i = 0; i < 800; ++i) {  // valid archives around a mutated data.pkl: the pickle is what gets fuzzed
    testing::write_zip_pth(path, mutate(sd.pickle, rng), sd.storages);
    exercise(path, "zip data.pkl mutation " + std::to_string(i), tally_);
  }
  testing::write_zip_pth(dir_.file("base.pth"), sd.pickle, sd.storages);
  const std::string zip = testing::read_text(dir_.file("base.pth"));
  for (int i = 0; i < 800; ++i) {  // raw archive bytes: libzip and the entry-size checks
    testing::write_bytes(path, mutate(zip, rng));
    exercise(path, "zip mutation " + std::to_string(i), tally_);
  }
#endif
  EXPECT_GT(tally_.ok, 0);
  EXPECT_GT(tally_.rejected, 0);
}

}  // namespace
}  // namespace latentlab::io
