// Small helpers over the HDF5 C API (Debian's serial HDF5 1.10), private to lib/store.
//
// Debian builds HDF5 without its thread-safety option, so every HDF5 call in this library holds
// hdf5_mutex(); readers therefore read row data with pread() at dataset offsets, never through HDF5, and
// several readers (and the prefetch threads) in one process never contend for the library.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace latentlab::store::detail {

// The process-wide HDF5 lock. Taking it also switches off HDF5's automatic error-stack printing once,
// so failures reach the user as one UserError line.
std::unique_lock<std::mutex> lock_hdf5();

// Owns one hid_t and closes it with the matching H5*close function.
class Hid {
 public:
  using Closer = herr_t (*)(hid_t);
  Hid() = default;
  Hid(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Hid() { reset(); }
  Hid(Hid&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = -1; }
  Hid& operator=(Hid&& other) noexcept;
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  void reset();
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// A little-endian IEEE binary16 type (HDF5 1.10 has none predefined; h5py maps it to numpy float16).
Hid make_float16_type();
// A NUL-padded fixed-length byte string of `width` bytes.
Hid make_fixed_string_type(size_t width);

bool has_attribute(hid_t object, const std::string& name);

// Writers (creation only; values of fixed size so rewriting them never moves anything).
void write_attribute(hid_t object, const std::string& name, const std::string& value);  // variable-length UTF-8
void write_attribute(hid_t object, const std::string& name, int64_t value);
void write_attribute(hid_t object, const std::string& name, const std::vector<double>& values);
void write_attribute(hid_t object, const std::string& name, const std::vector<std::string>& values);

// Readers: a missing attribute or one of another type is a UserError naming `subject` and the attribute.
std::string read_string_attribute(hid_t object, const std::string& name, const std::string& subject);
int64_t read_int_attribute(hid_t object, const std::string& name, const std::string& subject);
std::vector<double> read_double_array_attribute(hid_t object, const std::string& name, const std::string& subject);
std::vector<std::string> read_string_array_attribute(hid_t object, const std::string& name, const std::string& subject);

}  // namespace latentlab::store::detail
