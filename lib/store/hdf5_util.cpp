#include "store/hdf5_util.h"

#include "core/error.h"

namespace latentlab::store::detail {

std::unique_lock<std::mutex> lock_hdf5() {
  static std::mutex mutex;
  std::unique_lock<std::mutex> lock(mutex);
  static const bool silenced = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)silenced;
  return lock;
}

Hid& Hid::operator=(Hid&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = other.id_, closer_ = other.closer_;
    other.id_ = -1;
  }
  return *this;
}

void Hid::reset() {
  if (id_ >= 0 && closer_) closer_(id_);
  id_ = -1;
}

namespace {

void check(herr_t status, const std::string& what) {
  LATENTLAB_ASSERT(status >= 0, "HDF5 call failed: {}", what);
}

Hid vlen_string_type() {
  Hid type(H5Tcopy(H5T_C_S1), H5Tclose);
  check(H5Tset_size(type.get(), H5T_VARIABLE), "H5Tset_size");
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "H5Tset_cset");
  return type;
}

Hid open_attribute(hid_t object, const std::string& name, const std::string& subject) {
  if (!has_attribute(object, name)) fail(subject, "attribute '{}' is missing (not a latentlab store?)", name);
  Hid attribute(H5Aopen(object, name.c_str(), H5P_DEFAULT), H5Aclose);
  if (!attribute.valid()) fail(subject, "attribute '{}' cannot be read (corrupt file?)", name);
  return attribute;
}

H5T_class_t class_of(hid_t attribute) {
  Hid type(H5Aget_type(attribute), H5Tclose);
  return type.valid() ? H5Tget_class(type.get()) : H5T_NO_CLASS;
}

hssize_t points_of(hid_t attribute) {
  Hid space(H5Aget_space(attribute), H5Sclose);
  return space.valid() ? H5Sget_simple_extent_npoints(space.get()) : -1;
}

void write_raw(hid_t object, const std::string& name, hid_t file_type, hid_t memory_type, hid_t space,
               const void* data) {
  Hid attribute(H5Acreate2(object, name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  LATENTLAB_ASSERT(attribute.valid(), "cannot create attribute {}", name);
  check(H5Awrite(attribute.get(), memory_type, data), "H5Awrite " + name);
}

}  // namespace

Hid make_float16_type() {
  Hid type(H5Tcopy(H5T_IEEE_F32LE), H5Tclose);
  // binary16: sign bit 15, exponent bits 10..14 (bias 15), mantissa bits 0..9.
  check(H5Tset_fields(type.get(), 15, 10, 5, 0, 10), "H5Tset_fields");
  check(H5Tset_precision(type.get(), 16), "H5Tset_precision");
  check(H5Tset_size(type.get(), 2), "H5Tset_size");
  check(H5Tset_ebias(type.get(), 15), "H5Tset_ebias");
  return type;
}

Hid make_fixed_string_type(size_t width) {
  Hid type(H5Tcopy(H5T_C_S1), H5Tclose);
  check(H5Tset_size(type.get(), width), "H5Tset_size");
  check(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), "H5Tset_strpad");
  return type;
}

bool has_attribute(hid_t object, const std::string& name) {
  return H5Aexists(object, name.c_str()) > 0;
}

void write_attribute(hid_t object, const std::string& name, const std::string& value) {
  const Hid type = vlen_string_type();
  Hid space(H5Screate(H5S_SCALAR), H5Sclose);
  const char* data = value.c_str();
  write_raw(object, name, type.get(), type.get(), space.get(), &data);
}

void write_attribute(hid_t object, const std::string& name, int64_t value) {
  Hid space(H5Screate(H5S_SCALAR), H5Sclose);
  write_raw(object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, space.get(), &value);
}

void write_attribute(hid_t object, const std::string& name, const std::vector<double>& values) {
  const hsize_t size = values.size();
  Hid space(H5Screate_simple(1, &size, nullptr), H5Sclose);
  write_raw(object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space.get(), values.data());
}

void write_attribute(hid_t object, const std::string& name, const std::vector<std::string>& values) {
  const Hid type = vlen_string_type();
  const hsize_t size = values.size();
  Hid space(H5Screate_simple(1, &size, nullptr), H5Sclose);
  std::vector<const char*> data;
  for (const auto& v : values) data.push_back(v.c_str());
  write_raw(object, name, type.get(), type.get(), space.get(), data.data());
}

std::string read_string_attribute(hid_t object, const std::string& name, const std::string& subject) {
  const Hid attribute = open_attribute(object, name, subject);
  if (class_of(attribute.get()) != H5T_STRING || points_of(attribute.get()) != 1)
    fail(subject, "attribute '{}' is not a string", name);
  Hid file_type(H5Aget_type(attribute.get()), H5Tclose);
  if (H5Tis_variable_str(file_type.get()) > 0) {
    const Hid type = vlen_string_type();
    char* data = nullptr;
    if (H5Aread(attribute.get(), type.get(), &data) < 0 || !data)
      fail(subject, "attribute '{}' cannot be read (corrupt file?)", name);
    std::string out(data);
    H5free_memory(data);
    return out;
  }
  const size_t width = H5Tget_size(file_type.get());
  std::string out(width, '\0');
  if (H5Aread(attribute.get(), file_type.get(), out.data()) < 0)
    fail(subject, "attribute '{}' cannot be read (corrupt file?)", name);
  out.resize(out.find('\0') == std::string::npos ? width : out.find('\0'));
  return out;
}

int64_t read_int_attribute(hid_t object, const std::string& name, const std::string& subject) {
  const Hid attribute = open_attribute(object, name, subject);
  if (class_of(attribute.get()) != H5T_INTEGER || points_of(attribute.get()) != 1)
    fail(subject, "attribute '{}' is not an integer", name);
  int64_t value = 0;
  if (H5Aread(attribute.get(), H5T_NATIVE_INT64, &value) < 0)
    fail(subject, "attribute '{}' cannot be read (corrupt file?)", name);
  return value;
}

std::vector<double> read_double_array_attribute(hid_t object, const std::string& name, const std::string& subject) {
  const Hid attribute = open_attribute(object, name, subject);
  const hssize_t n = points_of(attribute.get());
  if (class_of(attribute.get()) != H5T_FLOAT || n < 0) fail(subject, "attribute '{}' is not a float array", name);
  std::vector<double> values(static_cast<size_t>(n));
  if (n > 0 && H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, values.data()) < 0)
    fail(subject, "attribute '{}' cannot be read (corrupt file?)", name);
  return values;
}

std::vector<std::string> read_string_array_attribute(hid_t object, const std::string& name,
                                                     const std::string& subject) {
  const Hid attribute = open_attribute(object, name, subject);
  const hssize_t n = points_of(attribute.get());
  Hid file_type(H5Aget_type(attribute.get()), H5Tclose);
  if (class_of(attribute.get()) != H5T_STRING || n < 0 || H5Tis_variable_str(file_type.get()) <= 0)
    fail(subject, "attribute '{}' is not an array of strings", name);
  const Hid type = vlen_string_type();
  std::vector<char*> data(static_cast<size_t>(n), nullptr);
  if (n > 0 && H5Aread(attribute.get(), type.get(), data.data()) < 0)
    fail(subject, "attribute '{}' cannot be read (corrupt file?)", name);
  std::vector<std::string> out;
  for (char* s : data) {
    out.emplace_back(s ? s : "");
    if (s) H5free_memory(s);
  }
  return out;
}

}  // namespace latentlab::store::detail
