// PickleValue helpers: the arena, dict insertion, the Python builtins every pickle uses, and one-line
// rendering for listings and errors.
#include "io/pickle.h"

#include <fmt/format.h>

#include "core/error.h"

namespace latentlab::io {
namespace {

using Kind = PickleValue::Kind;

// UTF-8 back to latin-1 bytes (protocol 2 pickles bytes as _codecs.encode(str, 'latin1')).
std::optional<std::string> latin1_of(const std::string& utf8) {
  std::string out;
  for (size_t i = 0; i < utf8.size(); ++i) {
    const auto c = static_cast<uint8_t>(utf8[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if ((c & 0xe0) == 0xc0 && c <= 0xc3 && i + 1 < utf8.size()) {
      out += static_cast<char>(((c & 0x03) << 6) | (static_cast<uint8_t>(utf8[++i]) & 0x3f));
    } else {
      return std::nullopt;
    }
  }
  return out;
}

void describe_into(std::string& out, const PickleValue& v, size_t max_chars, int depth) {
  if (out.size() > max_chars) return;
  if (depth > 3) {  // objects can nest through their callables without bound
    out += "…";
    return;
  }
  const auto list = [&](const char* open, const std::vector<const PickleValue*>& items, const char* close) {
    out += open;
    for (size_t i = 0; i < items.size() && out.size() <= max_chars; ++i) {
      if (i) out += ", ";
      if (depth > 2) {
        out += "…";
        break;
      }
      describe_into(out, *items[i], max_chars, depth + 1);
    }
    out += close;
  };
  switch (v.kind) {
    case Kind::None:
      out += "None";
      return;
    case Kind::Bool:
      out += v.integer ? "True" : "False";
      return;
    case Kind::Int:
      out += std::to_string(v.integer);
      return;
    case Kind::BigInt:
      out += fmt::format("<{}-byte integer>", v.text.size());
      return;
    case Kind::Float:
      out += fmt::format("{}", v.real);
      return;
    case Kind::String:
      out += "'" + v.text.substr(0, max_chars) + "'";
      return;
    case Kind::Bytes:
      out += fmt::format("<{} bytes>", v.text.size());
      return;
    case Kind::Global:
      out += v.text;
      return;
    case Kind::Tuple:
      return list("(", v.items, v.items.size() == 1 ? ",)" : ")");
    case Kind::List:
      return list("[", v.items, "]");
    case Kind::Set:
    case Kind::FrozenSet:
      return list("{", v.items, "}");
    case Kind::Dict:
      out += "{";
      for (size_t i = 0; i < v.entries.size() && out.size() <= max_chars; ++i) {
        if (i) out += ", ";
        if (depth > 2) {
          out += "…";
          break;
        }
        describe_into(out, *v.entries[i].first, max_chars, depth + 1);
        out += ": ";
        describe_into(out, *v.entries[i].second, max_chars, depth + 1);
      }
      out += "}";
      return;
    case Kind::Object:
      out += "object(";
      describe_into(out, *v.call, max_chars, depth + 1);
      if (v.args && !v.args->items.empty()) {
        out += ", ";
        describe_into(out, *v.args, max_chars, depth + 1);
      }
      out += ")";
      return;
    case Kind::Storage:
      out += fmt::format("storage({}, '{}', {})", v.storage->type_name, v.storage->key, v.storage->numel);
      return;
    case Kind::Tensor:
      out += fmt::format("{}{} {}", v.tensor->parameter ? "parameter " : "", dtype_name(v.tensor->dtype),
                         shape_string(v.tensor->shape));
      return;
  }
}

}  // namespace

const char* kind_name(PickleValue::Kind kind) {
  static const char* const names[] = {"None", "bool", "int", "int",       "float",  "str",    "bytes",   "tuple",
                                      "list", "dict", "set", "frozenset", "global", "object", "storage", "tensor"};
  return names[static_cast<size_t>(kind)];
}

std::string describe(const PickleValue& value, size_t max_chars) {
  std::string out;
  describe_into(out, value, max_chars, 0);
  if (out.size() > max_chars) out = out.substr(0, max_chars) + "…";
  return out;
}

const PickleValue* PickleValue::find(const std::string& key) const {
  if (kind != Kind::Dict || !string_keys_) return nullptr;
  const auto it = string_keys_->find(key);
  return it == string_keys_->end() ? nullptr : entries[it->second].second;
}

PickleValue* PickleArena::make(PickleValue::Kind kind) {
  return &values_.emplace_back(kind);
}

void PickleArena::set_item(PickleValue& dict, const PickleValue* key, const PickleValue* value) {
  if (key->is(Kind::String)) {
    if (!dict.string_keys_) dict.string_keys_ = std::make_unique<std::unordered_map<std::string, size_t>>();
    const auto [it, inserted] = dict.string_keys_->emplace(key->text, dict.entries.size());
    if (!inserted) {
      dict.entries[it->second].second = value;
      return;
    }
  }
  dict.entries.emplace_back(key, value);
}

PickleValue* call_python_builtin(PickleArena& arena, const PickleValue& callable, const PickleValue& args) {
  const auto& a = args.items;
  if (callable.is_global("collections.OrderedDict") && a.size() <= 1) {
    if (!a.empty() && !a[0]->is(Kind::List) && !a[0]->is(Kind::Tuple)) return nullptr;
    PickleValue* dict = arena.make(Kind::Dict);
    for (const PickleValue* pair : a.empty() ? std::vector<const PickleValue*>{} : a[0]->items) {
      if ((!pair->is(Kind::List) && !pair->is(Kind::Tuple)) || pair->items.size() != 2)
        throw UserError("", "OrderedDict argument is not a sequence of pairs");
      PickleArena::set_item(*dict, pair->items[0], pair->items[1]);
    }
    return dict;
  }
  for (const char* module : {"builtins.", "__builtin__."}) {
    for (const Kind kind : {Kind::Set, Kind::FrozenSet}) {
      if (callable.text != module + std::string(kind == Kind::Set ? "set" : "frozenset") || a.size() > 1) continue;
      if (!a.empty() && !a[0]->is(Kind::List) && !a[0]->is(Kind::Tuple)) return nullptr;
      PickleValue* set = arena.make(kind);
      if (!a.empty()) set->items = a[0]->items;
      return set;
    }
  }
  if (callable.is_global("_codecs.encode") && a.size() == 2 && a[0]->is(Kind::String) &&
      (a[1]->is_string("latin1") || a[1]->is_string("latin-1"))) {
    auto bytes = latin1_of(a[0]->text);
    if (!bytes) throw UserError("", "_codecs.encode: text is not latin-1");
    PickleValue* out = arena.make(Kind::Bytes);
    out->text = std::move(*bytes);
    return out;
  }
  return nullptr;
}

}  // namespace latentlab::io
