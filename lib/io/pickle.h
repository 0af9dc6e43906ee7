// A minimal, safe pickle reader: the subset of Python's pickle (protocols 0-5) that torch.save writes.
//
// It never executes anything. GLOBAL / STACK_GLOBAL produce a value that only *names* `module.name`;
// REDUCE / NEWOBJ / NEWOBJ_EX of a few known callables are interpreted (collections.OrderedDict -> dict,
// builtins.set / frozenset, _codecs.encode -> bytes), a caller-supplied hook may interpret more (torch's
// tensor rebuild functions, see io/torch_pickle.h), and every other call becomes an opaque Object value
// that keeps its callable, arguments, and the state BUILD gives it. Persistent ids (PERSID, BINPERSID)
// go to a caller hook, or fail without one.
//
// Opcodes handled: PROTO FRAME STOP MARK POP POP_MARK DUP NONE NEWTRUE NEWFALSE INT BININT BININT1 BININT2
// LONG LONG1 LONG4 FLOAT BINFLOAT BINSTRING SHORT_BINSTRING UNICODE BINUNICODE SHORT_BINUNICODE BINUNICODE8
// BINBYTES SHORT_BINBYTES BINBYTES8 BYTEARRAY8 EMPTY_TUPLE TUPLE TUPLE1-3 EMPTY_LIST APPEND APPENDS LIST
// EMPTY_DICT DICT SETITEM SETITEMS EMPTY_SET ADDITEMS FROZENSET GET BINGET LONG_BINGET PUT BINPUT LONG_BINPUT
// MEMOIZE GLOBAL STACK_GLOBAL REDUCE BUILD NEWOBJ NEWOBJ_EX PERSID BINPERSID. Others (STRING, INST, OBJ,
// EXT1-4, NEXT_BUFFER, READONLY_BUFFER) are rejected by name.
//
// Hostile input: every length is checked against the bytes left, the stack, mark stack, memo and value count
// are bounded (PickleLimits), the machine is iterative (no recursion on nesting), and values live in an arena
// and point at one another with raw pointers, so self-referencing structures (a list appended to itself
// through the memo) neither leak nor recurse on destruction. Code that walks a value tree must bound its
// own depth and work. Every error is a UserError naming the subject and the absolute byte offset:
//   "model.pth: entry 'archive/data.pkl': pickle opcode 0x71 at byte 123: memo key 7 not found"
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "io/array.h"
#include "io/dtype.h"

namespace latentlab::io {

// A torch storage named by a persistent id ('storage', torch.FloatStorage, key, location, numel[, view]).
struct StorageRef {
  std::string key;             // zip: the entry <prefix>/data/<key>; legacy: the key in the storage list
  std::string type_name;       // "FloatStorage", "UntypedStorage", …
  std::optional<DType> dtype;  // element type; nullopt for UntypedStorage (counted in bytes)
  std::string location;        // "cpu", "cuda:0", … (the bytes on disk are the same)
  uint64_t numel = 0;          // elements of `dtype` (bytes when untyped) in this storage (or view)
  uint64_t view_offset = 0;    // legacy storage views: first element of the view inside storage `key`
  size_t unit() const { return dtype ? dtype_size(*dtype) : 1; }
  uint64_t bytes() const { return numel * unit(); }  // validated not to overflow when built
};

// A tensor as torch._utils._rebuild_tensor_v2 describes it: a strided view into a storage. Builders
// validate it: shape and stride have equal rank, no negative entries, and every element lies inside the
// storage (so data need only be checked against the storage size).
struct TensorRef {
  std::shared_ptr<const StorageRef> storage;
  DType dtype = DType::F32;
  uint64_t storage_offset = 0;  // in elements of `dtype`
  Shape shape;
  Shape stride;  // in elements of `dtype`
  bool requires_grad = false;
  bool parameter = false;  // an nn.Parameter
};

class PickleValue {
 public:
  enum class Kind {
    None,
    Bool,
    Int,
    BigInt,
    Float,
    String,
    Bytes,
    Tuple,
    List,
    Dict,
    Set,
    FrozenSet,
    Global,
    Object,
    Storage,
    Tensor
  };
  using Entry = std::pair<const PickleValue*, const PickleValue*>;

  explicit PickleValue(Kind kind) : kind(kind) {}

  Kind kind;
  int64_t integer = 0;  // Int; Bool (0 or 1)
  double real = 0;      // Float
  // String (UTF-8), Bytes, BigInt (little-endian two's complement, as LONG1 stores it), Global ("module.name").
  std::string text;
  std::vector<const PickleValue*> items;  // Tuple, List, Set, FrozenSet; Object: APPENDed items
  std::vector<Entry> entries;             // Dict, in insertion order; Object: SETITEMs
  // Object: the callable (usually a Global), its positional and keyword arguments (null when absent).
  const PickleValue* call = nullptr;
  const PickleValue* args = nullptr;
  const PickleValue* kwargs = nullptr;
  const PickleValue* state = nullptr;         // set by BUILD on any value (an OrderedDict's _metadata, …)
  std::shared_ptr<const StorageRef> storage;  // Storage
  std::shared_ptr<const TensorRef> tensor;    // Tensor

  bool is(Kind k) const { return kind == k; }
  bool is_string(const char* s) const { return kind == Kind::String && text == s; }
  bool is_global(const char* name) const { return kind == Kind::Global && text == name; }
  // Dict lookup by string key (last SETITEM wins, as in Python); null when absent or not a dict.
  const PickleValue* find(const std::string& key) const;

 private:
  friend class PickleArena;
  std::unique_ptr<std::unordered_map<std::string, size_t>> string_keys_;  // Dict: string key -> entry index
};

const char* kind_name(PickleValue::Kind kind);
// A short one-line rendering for listings and error messages: 3, 'adam', F32 [3, 4], object(torch.device, …).
std::string describe(const PickleValue& value, size_t max_chars = 80);

// Owns every value of one or more pickles. Values never move once made.
class PickleArena {
 public:
  PickleValue* make(PickleValue::Kind kind);
  size_t size() const { return values_.size(); }
  // Dict insertion with Python semantics for string keys (a repeated key replaces the value in place).
  static void set_item(PickleValue& dict, const PickleValue* key, const PickleValue* value);

 private:
  std::deque<PickleValue> values_;
};

// The Python builtins pickles use, interpreted: collections.OrderedDict() and OrderedDict([(k, v), …]) -> Dict,
// builtins.set / frozenset(list) -> Set / FrozenSet, _codecs.encode(str, 'latin1') -> Bytes (protocol 2 bytes).
// Null when `callable` is none of these (or their arguments have another shape); UserError (empty subject) for
// malformed ones. unpickle() calls it after PickleHooks::call declined.
PickleValue* call_python_builtin(PickleArena& arena, const PickleValue& callable, const PickleValue& args);

struct PickleLimits {
  size_t max_stack = size_t{1} << 20;   // values on the stack, all marks together
  size_t max_marks = size_t{1} << 16;   // open MARKs
  size_t max_memo = size_t{1} << 22;    // memo entries
  size_t max_values = size_t{1} << 22;  // values made (~180 bytes each)
  // Items that calls copy out of existing values (set(list), OrderedDict(pairs), torch.Size(tuple)): through
  // the memo a few bytes can copy a big list again and again, so this is bounded on its own.
  size_t max_call_items = size_t{1} << 24;
};

// Where the bytes come from, for error messages: fail(subject, "{context}pickle opcode … at byte {base + i}").
struct PickleSource {
  std::string subject;       // usually the file path
  std::string context;       // e.g. "entry 'archive/data.pkl': " (empty for a plain file)
  uint64_t base_offset = 0;  // offset of the first byte within the file or entry
};

struct PickleHooks {
  // PERSID / BINPERSID: the value for a persistent id. Absent: persistent ids are an error.
  std::function<PickleValue*(PickleArena&, const PickleValue& pid)> persistent_load;
  // REDUCE / NEWOBJ / NEWOBJ_EX with a Global callable: an interpretation, or null to use the default.
  // `args` is a Tuple; `kwargs` is null unless NEWOBJ_EX. Errors: throw UserError with an empty subject,
  // the machine adds the file and opcode position.
  std::function<PickleValue*(PickleArena&, const PickleValue& callable, const PickleValue& args,
                             const PickleValue* kwargs)>
      call;
};

struct Unpickled {
  std::shared_ptr<PickleArena> arena;  // keeps `root` alive
  const PickleValue* root = nullptr;
  size_t consumed = 0;  // bytes up to and including STOP
};

// Runs one pickle from `data` (stops at its STOP; later bytes are left for the caller). Values go into
// `arena` when given (several pickles of one file share it), else a new one.
Unpickled unpickle(const uint8_t* data, size_t size, const PickleSource& source, const PickleHooks& hooks = {},
                   const PickleLimits& limits = {}, std::shared_ptr<PickleArena> arena = nullptr);

}  // namespace latentlab::io
