// The pickle machine: Python's Lib/pickle.py `_Unpickler` semantics (a value stack with MARKs, a memo, STOP
// returns the top), without ever importing or calling anything. Opcode values and argument encodings follow
// Lib/pickletools.py, the format's reference documentation.
#include "io/pickle.h"

#include <charconv>
#include <cstring>

#include "core/error.h"

namespace latentlab::io {
namespace {

using Kind = PickleValue::Kind;

// clang-format off
enum Op : uint8_t {
  MARK = '(', STOP = '.', POP = '0', POP_MARK = '1', DUP = '2', FLOAT = 'F', INT = 'I', BININT = 'J',
  BININT1 = 'K', LONG = 'L', BININT2 = 'M', NONE = 'N', PERSID = 'P', BINPERSID = 'Q', REDUCE = 'R',
  STRING = 'S', BINSTRING = 'T', SHORT_BINSTRING = 'U', UNICODE = 'V', BINUNICODE = 'X', APPEND = 'a',
  BUILD = 'b', GLOBAL = 'c', DICT = 'd', EMPTY_DICT = '}', APPENDS = 'e', GET = 'g', BINGET = 'h', INST = 'i',
  LONG_BINGET = 'j', LIST = 'l', EMPTY_LIST = ']', OBJ = 'o', PUT = 'p', BINPUT = 'q', LONG_BINPUT = 'r',
  SETITEM = 's', TUPLE = 't', EMPTY_TUPLE = ')', SETITEMS = 'u', BINFLOAT = 'G', BINBYTES = 'B',
  SHORT_BINBYTES = 'C', PROTO = 0x80, NEWOBJ = 0x81, EXT1 = 0x82, EXT2 = 0x83, EXT4 = 0x84, TUPLE1 = 0x85,
  TUPLE2 = 0x86, TUPLE3 = 0x87, NEWTRUE = 0x88, NEWFALSE = 0x89, LONG1 = 0x8a, LONG4 = 0x8b,
  SHORT_BINUNICODE = 0x8c, BINUNICODE8 = 0x8d, BINBYTES8 = 0x8e, EMPTY_SET = 0x8f, ADDITEMS = 0x90,
  FROZENSET = 0x91, NEWOBJ_EX = 0x92, STACK_GLOBAL = 0x93, MEMOIZE = 0x94, FRAME = 0x95, BYTEARRAY8 = 0x96,
  NEXT_BUFFER = 0x97, READONLY_BUFFER = 0x98,
};
// clang-format on

void append_utf8(std::string& out, uint32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xc0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xe0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  }
}

class Machine {
 public:
  Machine(const uint8_t* data, size_t size, const PickleSource& source, const PickleHooks& hooks,
          const PickleLimits& limits, PickleArena& arena)
      : data_(data), size_(size), source_(source), hooks_(hooks), limits_(limits), arena_(arena) {}

  const PickleValue* run(size_t* consumed) {
    while (true) {
      if (pos_ >= size_)
        fail(source_.subject, "{}pickle ends at byte {} without a STOP opcode", source_.context,
             source_.base_offset + pos_);
      op_pos_ = pos_;
      op_ = data_[pos_++];
      if (op_ == STOP) {
        const PickleValue* result = pop();
        *consumed = pos_;
        return result;
      }
      step();
    }
  }

 private:
  [[noreturn]] void error(const std::string& message) const {
    fail(source_.subject, "{}pickle opcode 0x{:02x} at byte {}: {}", source_.context, op_,
         source_.base_offset + op_pos_, message);
  }

  // --- reading arguments ---------------------------------------------------------------------------------
  const uint8_t* take(uint64_t n) {
    if (n > size_ - pos_) error(fmt::format("needs {} bytes, only {} left", n, size_ - pos_));
    const uint8_t* p = data_ + pos_;
    pos_ += static_cast<size_t>(n);
    return p;
  }
  uint64_t little(int n) {
    const uint8_t* p = take(n);
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
  }
  std::string bytes(uint64_t n) {
    const uint8_t* p = take(n);
    return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
  }
  std::string line() {
    const void* nl = std::memchr(data_ + pos_, '\n', size_ - pos_);
    if (!nl) error("line argument has no terminating newline");
    const size_t n = static_cast<const uint8_t*>(nl) - (data_ + pos_);
    std::string s = bytes(n);
    ++pos_;
    return s;
  }
  int64_t decimal(const std::string& text) {
    int64_t v = 0;
    const char* end = text.data() + text.size();
    const auto r = std::from_chars(text.data(), end, v);
    if (r.ec != std::errc() || r.ptr != end) error(fmt::format("'{}' is not a 64-bit decimal integer", text));
    return v;
  }

  // --- values and the stack ------------------------------------------------------------------------------
  PickleValue* make(Kind kind) {
    if (arena_.size() >= limits_.max_values) error(fmt::format("more than {} values", limits_.max_values));
    return arena_.make(kind);
  }
  PickleValue* make_int(int64_t v) {
    PickleValue* p = make(Kind::Int);
    p->integer = v;
    return p;
  }
  PickleValue* make_text(Kind kind, std::string text) {
    PickleValue* p = make(kind);
    p->text = std::move(text);
    return p;
  }
  PickleValue* constant(Kind kind, int64_t v) {  // None, True, False: one value each per pickle
    PickleValue*& slot = constants_[kind == Kind::None ? 0 : 1 + static_cast<int>(v != 0)];
    if (!slot) (slot = make(kind))->integer = v;
    return slot;
  }
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  void push(PickleValue* v) {
    if (stack_.size() >= limits_.max_stack) error(fmt::format("stack deeper than {}", limits_.max_stack));
    stack_.push_back(v);
  }
  PickleValue* top() {
    if (stack_.size() <= floor()) error("stack is empty");
    return stack_.back();
  }
  PickleValue* pop() {
    PickleValue* v = top();
    stack_.pop_back();
    return v;
  }
  // Removes the innermost MARK; the items above it are stack_[returned index, end).
  size_t pop_mark() {
    if (marks_.empty()) error("no MARK on the stack");
    const size_t mark = marks_.back();
    marks_.pop_back();
    return mark;
  }
  PickleValue* sequence_from(Kind kind, size_t first) {
    PickleValue* v = make(kind);
    v->items.assign(stack_.begin() + first, stack_.end());
    stack_.resize(first);
    return v;
  }
  void memo_put(uint64_t key) {
    PickleValue* v = top();
    if (memo_.size() >= limits_.max_memo && !memo_.count(key)) error(fmt::format("memo over {}", limits_.max_memo));
    memo_[key] = v;
  }
  void memo_get(uint64_t key) {
    const auto it = memo_.find(key);
    if (it == memo_.end()) error(fmt::format("memo key {} not found", key));
    push(it->second);
  }

  // --- opcode families -----------------------------------------------------------------------------------
  void push_long(const uint8_t* p, size_t n) {  // little-endian two's complement, as LONG1/LONG4 store it
    while (n > 1 && ((p[n - 1] == 0x00 && !(p[n - 2] & 0x80)) || (p[n - 1] == 0xff && (p[n - 2] & 0x80)))) --n;
    if (n <= 8) {
      uint64_t v = (n > 0 && (p[n - 1] & 0x80)) ? ~uint64_t{0} : 0;
      for (size_t i = n; i-- > 0;) v = (v << 8) | p[i];
      push(make_int(static_cast<int64_t>(v)));
    } else {
      push(make_text(Kind::BigInt, std::string(reinterpret_cast<const char*>(p), n)));
    }
  }
  std::string raw_unicode_escape(const std::string& in) {  // UNICODE: latin-1 plus \uXXXX and \UXXXXXXXX
    std::string out;
    for (size_t i = 0; i < in.size(); ++i) {
      const auto c = static_cast<uint8_t>(in[i]);
      const size_t digits = (c == '\\' && i + 1 < in.size()) ? (in[i + 1] == 'u' ? 4 : in[i + 1] == 'U' ? 8 : 0) : 0;
      if (digits == 0) {
        append_utf8(out, c);
        continue;
      }
      uint32_t code = 0;
      const char* first = in.data() + i + 2;
      const auto r = i + 2 + digits <= in.size() ? std::from_chars(first, first + digits, code, 16)
                                                 : std::from_chars_result{first, std::errc::invalid_argument};
      if (r.ec != std::errc() || r.ptr != first + digits || code > 0x10ffff) error("bad \\u escape in UNICODE");
      append_utf8(out, code);
      i += 1 + digits;
    }
    return out;
  }
  void call(PickleValue* callable, PickleValue* args, PickleValue* kwargs) {
    if (!args->is(Kind::Tuple)) error(fmt::format("call arguments are a {}, not a tuple", kind_name(args->kind)));
    if (kwargs && !kwargs->is(Kind::Dict)) error("NEWOBJ_EX keyword arguments are not a dict");
    if (callable->is(Kind::Global)) {
      PickleValue* r = nullptr;
      try {
        if (hooks_.call) r = hooks_.call(arena_, *callable, *args, kwargs);
        if (!r && !kwargs) r = call_python_builtin(arena_, *callable, *args);
      } catch (const UserError& e) {
        error(e.what());
      }
      if (r) {
        call_items_ += r->items.size() + r->entries.size();
        if (call_items_ > limits_.max_call_items)
          error(fmt::format("calls copy over {} items", limits_.max_call_items));
        if (arena_.size() > limits_.max_values) error(fmt::format("more than {} values", limits_.max_values));
        return push(r);
      }
    }
    PickleValue* object = make(Kind::Object);
    object->call = callable;
    object->args = args;
    object->kwargs = kwargs;
    push(object);
  }
  void persistent(PickleValue* pid) {
    if (!hooks_.persistent_load) error("persistent id outside a torch file");
    PickleValue* r = nullptr;
    try {
      r = hooks_.persistent_load(arena_, *pid);
    } catch (const UserError& e) {
      error(e.what());
    }
    if (!r) error("persistent id not understood");
    push(r);
  }

  void step();

  const uint8_t* data_;
  size_t size_;
  const PickleSource& source_;
  const PickleHooks& hooks_;
  const PickleLimits& limits_;
  PickleArena& arena_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  uint8_t op_ = 0;
  std::vector<PickleValue*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleValue*> memo_;
  PickleValue* constants_[3] = {nullptr, nullptr, nullptr};
  size_t call_items_ = 0;
};

// One line per simple opcode reads as a table.
// clang-format off
void Machine::step() {
  switch (op_) {
    case PROTO: {
      const auto version = little(1);
      if (version > 5) error(fmt::format("unsupported protocol {}", version));
      return;
    }
    case FRAME: {  // framing only groups opcodes for buffered reads; the bytes must exist
      const uint64_t n = little(8);
      if (n > size_ - pos_) error(fmt::format("frame of {} bytes, only {} left", n, size_ - pos_));
      return;
    }
    case MARK:
      if (marks_.size() >= limits_.max_marks) error(fmt::format("more than {} open MARKs", limits_.max_marks));
      marks_.push_back(stack_.size());
      return;
    case POP:  // Python pops the MARK itself when it is on top
      if (stack_.size() > floor()) stack_.pop_back(); else stack_.resize(pop_mark());
      return;
    case POP_MARK: stack_.resize(pop_mark()); return;
    case DUP: return push(top());
    case NONE: return push(constant(Kind::None, 0));
    case NEWTRUE: return push(constant(Kind::Bool, 1));
    case NEWFALSE: return push(constant(Kind::Bool, 0));
    case INT: {
      const std::string text = line();
      if (text == "00" || text == "01") return push(constant(Kind::Bool, text == "01"));
      return push(make_int(decimal(text)));
    }
    case LONG: {
      std::string text = line();
      if (!text.empty() && text.back() == 'L') text.pop_back();
      return push(make_int(decimal(text)));
    }
    case BININT: return push(make_int(static_cast<int32_t>(little(4))));
    case BININT1: return push(make_int(static_cast<int64_t>(little(1))));
    case BININT2: return push(make_int(static_cast<int64_t>(little(2))));
    case LONG1: {
      const auto n = little(1);
      return push_long(take(n), n);
    }
    case LONG4: {
      const auto n = static_cast<int32_t>(little(4));
      if (n < 0) error("negative LONG4 length");
      return push_long(take(n), static_cast<size_t>(n));
    }
    case FLOAT: {
      const std::string text = line();
      PickleValue* v = make(Kind::Float);
      const auto r = std::from_chars(text.data(), text.data() + text.size(), v->real);
      if (r.ec != std::errc() || r.ptr != text.data() + text.size()) error(fmt::format("'{}' is not a float", text));
      return push(v);
    }
    case BINFLOAT: {
      uint64_t bits = 0;
      for (const uint8_t *p = take(8), *end = p + 8; p < end; ++p) bits = (bits << 8) | *p;  // big-endian
      PickleValue* v = make(Kind::Float);
      std::memcpy(&v->real, &bits, sizeof bits);
      return push(v);
    }
    case SHORT_BINSTRING: return push(make_text(Kind::String, bytes(little(1))));
    case BINSTRING: {
      const auto n = static_cast<int32_t>(little(4));
      if (n < 0) error("negative BINSTRING length");
      return push(make_text(Kind::String, bytes(static_cast<uint64_t>(n))));
    }
    case SHORT_BINUNICODE: return push(make_text(Kind::String, bytes(little(1))));
    case BINUNICODE: return push(make_text(Kind::String, bytes(little(4))));
    case BINUNICODE8: return push(make_text(Kind::String, bytes(little(8))));
    case UNICODE: return push(make_text(Kind::String, raw_unicode_escape(line())));
    case SHORT_BINBYTES: return push(make_text(Kind::Bytes, bytes(little(1))));
    case BINBYTES: return push(make_text(Kind::Bytes, bytes(little(4))));
    case BINBYTES8: case BYTEARRAY8: return push(make_text(Kind::Bytes, bytes(little(8))));
    case EMPTY_TUPLE: return push(make(Kind::Tuple));
    case TUPLE1: case TUPLE2: case TUPLE3: {
      const size_t n = op_ - TUPLE1 + 1;
      if (stack_.size() < floor() + n) error("stack is empty");
      return push(sequence_from(Kind::Tuple, stack_.size() - n));
    }
    case TUPLE: return push(sequence_from(Kind::Tuple, pop_mark()));
    case EMPTY_LIST: return push(make(Kind::List));
    case LIST: return push(sequence_from(Kind::List, pop_mark()));
    case EMPTY_DICT: return push(make(Kind::Dict));
    case EMPTY_SET: return push(make(Kind::Set));
    case FROZENSET: return push(sequence_from(Kind::FrozenSet, pop_mark()));
    case DICT: {
      const size_t first = pop_mark();
      if ((stack_.size() - first) % 2) error("odd number of items for DICT");
      PickleValue* dict = make(Kind::Dict);
      for (size_t i = first; i < stack_.size(); i += 2) PickleArena::set_item(*dict, stack_[i], stack_[i + 1]);
      stack_.resize(first);
      return push(dict);
    }
    case APPEND: case APPENDS: case ADDITEMS: {
      if (op_ == APPEND) top();  // the appended value must exist
      const size_t first = op_ == APPEND ? stack_.size() - 1 : pop_mark();
      if (first <= floor()) error("nothing to add to");
      PickleValue* target = stack_[first - 1];
      const Kind want = op_ == ADDITEMS ? Kind::Set : Kind::List;
      if (!target->is(want) && !target->is(Kind::Object))
        error(fmt::format("cannot add items to a {}", kind_name(target->kind)));
      target->items.insert(target->items.end(), stack_.begin() + first, stack_.end());
      stack_.resize(first);
      return;
    }
    case SETITEM: case SETITEMS: {
      if (op_ == SETITEM && stack_.size() < floor() + 2) error("stack is empty");
      const size_t first = op_ == SETITEM ? stack_.size() - 2 : pop_mark();
      if (first <= floor()) error("nothing to set items on");
      if ((stack_.size() - first) % 2) error("odd number of items for SETITEMS");
      PickleValue* target = stack_[first - 1];
      if (!target->is(Kind::Dict) && !target->is(Kind::Object))
        error(fmt::format("cannot set items on a {}", kind_name(target->kind)));
      for (size_t i = first; i < stack_.size(); i += 2) {
        if (target->is(Kind::Dict))
          PickleArena::set_item(*target, stack_[i], stack_[i + 1]);
        else
          target->entries.emplace_back(stack_[i], stack_[i + 1]);
      }
      stack_.resize(first);
      return;
    }
    case GET: {
      const int64_t key = decimal(line());
      if (key < 0) error("negative memo key");
      return memo_get(static_cast<uint64_t>(key));
    }
    case BINGET: return memo_get(little(1));
    case LONG_BINGET: return memo_get(little(4));
    case PUT: {
      const int64_t key = decimal(line());
      if (key < 0) error("negative memo key");
      return memo_put(static_cast<uint64_t>(key));
    }
    case BINPUT: return memo_put(little(1));
    case LONG_BINPUT: return memo_put(little(4));
    case MEMOIZE: return memo_put(memo_.size());
    case GLOBAL: {
      std::string module = line();
      return push(make_text(Kind::Global, module + "." + line()));
    }
    case STACK_GLOBAL: {
      PickleValue* name = pop();
      PickleValue* module = pop();
      if (!name->is(Kind::String) || !module->is(Kind::String)) error("STACK_GLOBAL needs two strings");
      return push(make_text(Kind::Global, module->text + "." + name->text));
    }
    case REDUCE:
    case NEWOBJ: {  // NEWOBJ is cls.__new__(cls, *args): also just a call here
      PickleValue* args = pop();
      return call(pop(), args, nullptr);
    }
    case NEWOBJ_EX: {
      PickleValue* kwargs = pop();
      PickleValue* args = pop();
      return call(pop(), args, kwargs);
    }
    case BUILD: {
      PickleValue* state = pop();
      top()->state = state;
      return;
    }
    case PERSID: return persistent(make_text(Kind::String, line()));
    case BINPERSID: return persistent(pop());
    case STRING: error("STRING (protocol 0 quoted str) is not supported");
    case INST: case OBJ: error("INST/OBJ (protocol 0/1 class instances) are not supported");
    case EXT1: case EXT2: case EXT4: error("extension registry codes (EXT1/2/4) are not supported");
    case NEXT_BUFFER: case READONLY_BUFFER: error("out-of-band buffers are not supported");
    default: error("unknown opcode");
  }
}
// clang-format on

}  // namespace

Unpickled unpickle(const uint8_t* data, size_t size, const PickleSource& source, const PickleHooks& hooks,
                   const PickleLimits& limits, std::shared_ptr<PickleArena> arena) {
  Unpickled out;
  out.arena = arena ? std::move(arena) : std::make_shared<PickleArena>();
  Machine machine(data, size, source, hooks, limits, *out.arena);
  out.root = machine.run(&out.consumed);
  return out;
}

}  // namespace latentlab::io
