// numpy .npz archives: a zip file whose members are .npy files named "<key>.npy" (np.savez stores them,
// np.savez_compressed deflates them). Two uses shape this API:
//   - ADM sample and reference batches (openai/guided-diffusion evaluations): "arr_0" N x H x W x 3 uint8,
//     often gigabytes, optionally "arr_1" N int64 labels. NpzReader::read_rows() reads a range of rows
//     without reading the rest: stored members seek straight to the rows; deflated members must be
//     decompressed from their start, so reading a deflated member batch by batch costs O(N^2) in total.
//   - pytorch-fid statistics: "mu" (D,) and "sigma" (D, D) float64.
// Opening an archive reads every member's .npy header (a few hundred bytes each) and checks that the member
// holds exactly the data its header announces, so later reads only have to trust checked sizes.
// Without libzip (LATENTLAB_WITH_ZIP off) every archive is refused at opening (io/zip_archive_unavailable.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/array.h"
#include "io/npy.h"

namespace latentlab::io {

class ZipReader;

class NpzReader {
 public:
  // Throws UserError naming `path` if it is not a zip of .npy members or a member's header is broken.
  explicit NpzReader(const std::string& path);
  ~NpzReader();
  NpzReader(const NpzReader&) = delete;
  NpzReader& operator=(const NpzReader&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<std::string>& names() const { return names_; }  // keys without ".npy", archive order
  bool contains(const std::string& name) const;
  // dtype, shape, order and where the data start inside the member; reads nothing.
  const NpyHeader& info(const std::string& name) const;
  // The whole array, in C order (Fortran-ordered and big-endian members are converted).
  Array read(const std::string& name) const;
  // Rows [first_row, first_row + count) of the leading dimension: shape {count, shape[1:]...}. The member
  // must be C-ordered (np.savez of an ordinary array is) with at least one dimension.
  Array read_rows(const std::string& name, int64_t first_row, int64_t count) const;

 private:
  struct Member {
    std::string zip_name;  // "<key>.npy"
    NpyHeader header;
  };
  const Member& member(const std::string& name) const;
  std::string path_;
  std::unique_ptr<ZipReader> zip_;
  std::vector<std::string> names_;
  std::map<std::string, Member> members_;
};

// Every member, in archive order.
NamedArrays read_npz(const std::string& path);
// Members "<name>.npy" in the given order; `compressed` deflates them like np.savez_compressed, otherwise they
// are stored like np.savez. Names must be unique; BF16 arrays are refused (numpy has no such dtype).
void write_npz(const std::string& path, const NamedArrays& arrays, bool compressed);

}  // namespace latentlab::io
