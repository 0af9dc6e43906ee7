#include "io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/error.h"

namespace latentlab::io {
namespace {

std::atomic<int> g_counter{0};

std::string temp_name_for(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return fmt::format("{}.{}.tmp-{}-{}", dir, name, getpid(), g_counter++);
}

void fsync_directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), temp_path_(temp_name_for(path_)) {
  if (path_.empty()) fail_usage("output", "empty file name");
  file_ = std::fopen(temp_path_.c_str(), "wbx");
  if (!file_) fail(path_, "cannot create a file in its directory: {}", std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (file_) std::fclose(file_);
  if (!committed_) std::remove(temp_path_.c_str());
}

void AtomicFile::write(const void* data, size_t size) {
  LATENTLAB_ASSERT(file_ && !committed_, "write after close or commit");
  if (size && std::fwrite(data, 1, size, file_) != size) fail(path_, "write failed: {}", std::strerror(errno));
}

void AtomicFile::close_handle() {
  if (!file_) return;
  const bool ok = std::fflush(file_) == 0;
  std::fclose(file_);
  file_ = nullptr;
  if (!ok) fail(path_, "write failed: {}", std::strerror(errno));
}

void AtomicFile::commit() {
  LATENTLAB_ASSERT(!committed_, "commit twice");
  close_handle();
  // Data must reach the disk before the rename makes it visible.
  const int fd = ::open(temp_path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path_, "temporary file vanished: {}", std::strerror(errno));
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) fail(path_, "fsync failed: {}", std::strerror(errno));
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0)
    fail(path_, "cannot rename into place: {}", std::strerror(errno));
  committed_ = true;
  fsync_directory_of(path_);
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  AtomicFile file(path);
  file.write(bytes);
  file.commit();
}

}  // namespace latentlab::io
