#include "train/jsonl_log.h"

#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/atomic_file.h"

namespace latentlab::train {

JsonlLog::JsonlLog(std::string path, int64_t keep_through_step) : path_(std::move(path)) {
  if (keep_through_step >= 0 && std::filesystem::exists(path_)) {
    std::ifstream in(path_);
    std::string line, kept;
    while (std::getline(in, line)) {
      const auto record = nlohmann::json::parse(line, nullptr, false);
      if (record.is_object() && record.value("step", int64_t{0}) > keep_through_step) continue;
      if (!record.is_discarded()) kept += line + "\n";  // a torn last line of a crashed run goes too
    }
    io::write_file_atomic(path_, kept);
  }
  out_.open(path_, std::ios::app);
  if (!out_) fail(path_, "cannot open the training log for writing");
}

void JsonlLog::write(const nlohmann::json& record) {
  out_ << record.dump() << '\n';
  out_.flush();
  if (!out_) fail(path_, "cannot write the training log");
}

}  // namespace latentlab::train
