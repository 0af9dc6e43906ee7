// Small torch.save-shaped files assembled in C++ (pickle opcodes by hand), for the pickle/.pth unit tests and
// the fuzz test, which must not need Python. The opcode sequences mirror what torch 1.13 writes with pickle
// protocol 2 (see `python3 -m pickletools` on a real file); tests/reference/ checks real torch output.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#ifdef LATENTLAB_WITH_ZIP
#include "io/zip_archive.h"
#endif

namespace latentlab::testing {

class PickleWriter {
 public:
  PickleWriter& op(uint8_t code) { return raw(std::string(1, static_cast<char>(code))); }
  PickleWriter& raw(const std::string& bytes) {
    out_ += bytes;
    return *this;
  }
  PickleWriter& le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_ += static_cast<char>((v >> (8 * i)) & 0xff);
    return *this;
  }
  PickleWriter& proto(int version = 2) { return op(0x80).le(version, 1); }
  PickleWriter& stop() { return op('.'); }
  PickleWriter& mark() { return op('('); }
  PickleWriter& tuple() { return op('t'); }
  PickleWriter& none() { return op('N'); }
  PickleWriter& boolean(bool v) { return op(v ? 0x88 : 0x89); }
  PickleWriter& empty_dict() { return op('}'); }
  PickleWriter& empty_list() { return op(']'); }
  PickleWriter& setitems() { return op('u'); }
  PickleWriter& appends() { return op('e'); }
  PickleWriter& str(const std::string& s) { return op('X').le(s.size(), 4).raw(s); }
  PickleWriter& global(const std::string& module, const std::string& name) {
    if (!memoize_globals_) return op('c').raw(module + "\n" + name + "\n");
    const auto it = globals_.find(module + "." + name);  // as torch's pickler does: GLOBAL once, then BINGET
    if (it != globals_.end()) return op('h').le(it->second, 1);
    const size_t index = globals_.size();
    globals_[module + "." + name] = index;
    return op('c').raw(module + "\n" + name + "\n").op('q').le(index, 1);
  }
  PickleWriter& memoize_globals() {
    memoize_globals_ = true;
    return *this;
  }
  // As Python picks: BININT1, BININT2, BININT, else LONG1.
  PickleWriter& integer(int64_t v) {
    if (v >= 0 && v < 256) return op('K').le(static_cast<uint64_t>(v), 1);
    if (v >= 0 && v < 65536) return op('M').le(static_cast<uint64_t>(v), 2);
    if (v >= INT32_MIN && v <= INT32_MAX) return op('J').le(static_cast<uint32_t>(v), 4);
    return op(0x8a).le(8, 1).le(static_cast<uint64_t>(v), 8);
  }
  PickleWriter& int_tuple(const std::vector<int64_t>& values) {
    if (values.empty()) return op(')');
    mark();
    for (int64_t v : values) integer(v);
    return tuple();
  }
  // ('storage', torch.<type>, key, 'cpu', numel[, None]) BINPERSID — the legacy format adds view metadata.
  PickleWriter& storage(const std::string& type, const std::string& key, int64_t numel, bool legacy) {
    mark().str("storage").global("torch", type).str(key).str("cpu").integer(numel);
    if (legacy) none();
    return tuple().op('Q');
  }
  // torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())
  PickleWriter& tensor(const std::string& type, const std::string& key, int64_t numel, int64_t offset,
                       const std::vector<int64_t>& size, const std::vector<int64_t>& stride, bool legacy) {
    global("torch._utils", "_rebuild_tensor_v2").mark();
    storage(type, key, numel, legacy).integer(offset).int_tuple(size).int_tuple(stride).boolean(false);
    return global("collections", "OrderedDict").op(')').op('R').tuple().op('R');
  }
  const std::string& bytes() const { return out_; }

 private:
  std::string out_;
  bool memoize_globals_ = false;
  std::map<std::string, size_t> globals_;
};

template <typename T>
std::string bytes_of(const std::vector<T>& values) {
  std::string out(values.size() * sizeof(T), '\0');
  if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
  return out;
}

struct StorageBlob {
  std::string key;
  size_t element_size;
  std::string bytes;
};

// The legacy (pre-1.6) layout: magic, protocol, sys_info, object, key list, then each storage's records.
inline std::string legacy_pth(const std::string& object_pickle, const std::vector<StorageBlob>& storages,
                              bool little_endian = true) {
  PickleWriter w;
  w.proto().op(0x8a).le(10, 1).raw(std::string("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10)).stop();
  w.proto().integer(1001).stop();
  w.proto().empty_dict().mark().str("protocol_version").integer(1001).str("little_endian").boolean(little_endian);
  w.str("type_sizes").empty_dict().mark().str("short").integer(2).str("int").integer(4).str("long").integer(4);
  w.setitems().setitems().stop();
  w.raw(object_pickle);
  w.proto().empty_list().mark();
  for (const auto& s : storages) w.str(s.key);
  w.appends().stop();
  for (const auto& s : storages) w.le(s.bytes.size() / s.element_size, 8).raw(s.bytes);
  return w.bytes();
}

#ifdef LATENTLAB_WITH_ZIP
// The zip layout: <prefix>/data.pkl, <prefix>/data/<key>, <prefix>/version.
inline void write_zip_pth(const std::string& path, const std::string& data_pkl,
                          const std::vector<StorageBlob>& storages, const std::string& prefix = "archive") {
  io::ZipWriter zip(path, false);
  zip.add(prefix + "/data.pkl", std::vector<uint8_t>(data_pkl.begin(), data_pkl.end()));
  for (const auto& s : storages)
    zip.add(prefix + "/data/" + s.key, std::vector<uint8_t>(s.bytes.begin(), s.bytes.end()));
  zip.add(prefix + "/version", {'3', '\n'});
  zip.commit();
}
#endif

// A small state dict exercising the tensor layouts: {'w': 2x3 f32 (contiguous), 'wt': its transpose (shared
// storage), 'b': i64 slice with offset 1, 'e': 3x4 expanded (stride 0) from 3 floats, 's': 0-d f64, 'z': empty}.
struct SmallStateDict {
  std::string pickle;
  std::vector<StorageBlob> storages;
};

inline SmallStateDict small_state_dict(bool legacy) {
  const std::string k0 = legacy ? "94001" : "0", k1 = legacy ? "94002" : "1", k2 = legacy ? "94003" : "2",
                    k3 = legacy ? "94004" : "3", k4 = legacy ? "94005" : "4";
  PickleWriter w;
  w.memoize_globals().proto().empty_dict().mark();
  w.str("w").tensor("FloatStorage", k0, 6, 0, {2, 3}, {3, 1}, legacy);
  w.str("wt").tensor("FloatStorage", k0, 6, 0, {3, 2}, {1, 3}, legacy);
  w.str("b").tensor("LongStorage", k1, 4, 1, {3}, {1}, legacy);
  w.str("e").tensor("FloatStorage", k2, 3, 0, {3, 4}, {1, 0}, legacy);
  w.str("s").tensor("DoubleStorage", k3, 1, 0, {}, {}, legacy);
  w.str("z").tensor("HalfStorage", k4, 0, 0, {2, 0}, {0, 1}, legacy);
  w.str("epoch").integer(7);
  w.setitems().stop();
  SmallStateDict sd;
  sd.pickle = w.bytes();
  sd.storages = {{k0, 4, bytes_of(std::vector<float>{0, 1, 2, 3, 4, 5})},
                 {k1, 8, bytes_of(std::vector<int64_t>{10, -11, 12, -13})},
                 {k2, 4, bytes_of(std::vector<float>{0.5f, 1.5f, 2.5f})},
                 {k3, 8, bytes_of(std::vector<double>{3.25})},
                 {k4, 2, ""}};
  return sd;
}

}  // namespace latentlab::testing
