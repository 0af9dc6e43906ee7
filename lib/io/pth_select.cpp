// Naming the leaves of an unpickled torch.save object, and choosing the state dict a loader wants (io/pth.h).
#include <unordered_set>

#include "core/error.h"
#include "core/log.h"
#include "io/pth.h"

namespace latentlab::io {
namespace {

using Kind = PickleValue::Kind;

// Bounds on walking a pickle: shared sub-objects (the memo) can make a small pickle a huge or cyclic tree.
constexpr int kMaxDepth = 100;
constexpr size_t kMaxVisits = size_t{1} << 22;
constexpr size_t kMaxNameBytes = size_t{1} << 12;       // one name
constexpr size_t kMaxTotalNameBytes = size_t{1} << 25;  // all names together

const char* const kStateDictKeys[] = {"state_dict", "model", "ema", "module", "net"};

std::string key_name(const PickleValue& key) {
  if (key.is(Kind::String)) return key.text;
  if (key.is(Kind::Int)) return std::to_string(key.integer);
  return describe(key, 40);
}

class Flattener {
 public:
  explicit Flattener(const std::string& subject) : subject_(subject) {}

  // `name` is a shared buffer: each level appends its key and truncates it again on the way out.
  void walk(const PickleValue& v, std::string& name, int depth) {
    if (++visits_ > kMaxVisits) fail(subject_, "more than {} values to list (a self-referencing pickle?)", kMaxVisits);
    if (depth > kMaxDepth) fail(subject_, "'{}…': nested deeper than {} levels", name.substr(0, 80), kMaxDepth);
    if (name.size() > kMaxNameBytes)
      fail(subject_, "'{}…': name longer than {} bytes", name.substr(0, 80), kMaxNameBytes);
    const size_t length = name.size();
    auto child = [&](const PickleValue& value, const std::string& key) {
      if (length) name += '.';
      name += key;
      walk(value, name, depth + 1);
      name.resize(length);
    };
    if (v.is(Kind::Dict)) {
      for (const auto& [key, value] : v.entries) child(*value, key_name(*key));
    } else if (v.is(Kind::List) || v.is(Kind::Tuple)) {
      for (size_t i = 0; i < v.items.size(); ++i) child(*v.items[i], std::to_string(i));
    } else {
      if ((name_bytes_ += name.size()) > kMaxTotalNameBytes)
        fail(subject_, "more than {} bytes of names to list (a self-referencing pickle?)", kMaxTotalNameBytes);
      items.push_back({name, &v});
    }
  }

  std::vector<PthItem> items;

 private:
  const std::string& subject_;
  size_t visits_ = 0;
  size_t name_bytes_ = 0;
};

std::string top_level(const PickleValue& root) {
  if (!root.is(Kind::Dict)) return fmt::format("the top level is a {}", kind_name(root.kind));
  std::string keys;
  for (size_t i = 0; i < root.entries.size(); ++i) {
    if (i == 20) return keys + ", …";
    keys += (i ? ", " : "") + key_name(*root.entries[i].first);
  }
  return "top-level keys: " + (keys.empty() ? std::string("none") : keys);
}

bool holds_tensors_directly(const PickleValue& root) {
  if (root.is(Kind::Tensor)) return true;
  for (const auto& [key, value] : root.entries)
    if (value->is(Kind::Tensor)) return true;
  for (const PickleValue* item : root.items)
    if (item->is(Kind::Tensor)) return true;
  return false;
}

std::vector<PthItem> under(const std::vector<PthItem>& tensors, const std::string& prefix) {
  std::vector<PthItem> out;
  const std::string dot = prefix + ".";
  for (const PthItem& t : tensors)
    if (t.name.compare(0, dot.size(), dot) == 0) out.push_back({t.name.substr(dot.size()), t.value});
  return out;
}

}  // namespace

std::vector<PthItem> flatten(const PickleValue& root, const std::string& subject) {
  Flattener flattener(subject);
  std::string name;
  flattener.walk(root, name, 0);
  return std::move(flattener.items);
}

std::vector<PthItem> select_tensors(const PickleValue& root, const std::string& prefix, const std::string& subject) {
  std::vector<PthItem> tensors;
  std::unordered_set<std::string> names;
  for (PthItem& item : flatten(root, subject)) {
    if (!item.value->is(Kind::Tensor)) continue;
    if (!names.insert(item.name).second) fail(subject, "tensor name '{}' appears twice", item.name);
    tensors.push_back(std::move(item));
  }
  if (tensors.empty()) fail(subject, "holds no tensors ({})", top_level(root));
  if (!prefix.empty()) {
    std::vector<PthItem> chosen = under(tensors, prefix);
    if (chosen.empty()) fail(subject, "no tensors under '{}' ({})", prefix, top_level(root));
    return chosen;
  }
  if (holds_tensors_directly(root)) return tensors;
  for (const char* key : kStateDictKeys) {
    if (!root.find(key)) continue;
    std::vector<PthItem> chosen = under(tensors, key);
    if (chosen.empty()) continue;
    log::info("{}: reading the {} tensors under '{}'", subject, chosen.size(), key);
    return chosen;
  }
  fail(subject,
       "no tensors at the top level and none under state_dict, model, ema, module or net ({}); name the "
       "part to read",
       top_level(root));
}

}  // namespace latentlab::io
