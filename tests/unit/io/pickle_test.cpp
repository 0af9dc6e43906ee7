// io/pickle.h and io/torch_pickle.h on hand-assembled pickles. Expected values are what Python's own
// pickle.loads gives for the same bytes (opcode semantics from Lib/pickletools.py).
#include "io/pickle.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "io/torch_pickle.h"
#include "unit/io/pth_fixtures.h"

namespace latentlab::io {
namespace {

using testing::PickleWriter;
using Kind = PickleValue::Kind;

struct Parsed {
  Unpickled u;
  const PickleValue& root() const { return *u.root; }
};

Parsed run(const std::string& bytes, const PickleHooks& hooks = {}, const PickleLimits& limits = {}) {
  return {unpickle(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), {"t.pkl", "", 0}, hooks, limits)};
}

// The UserError message unpickling `bytes` gives ("" when it succeeds).
std::string error_of(const std::string& bytes, const PickleHooks& hooks = {}, const PickleLimits& limits = {}) {
  try {
    run(bytes, hooks, limits);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

#define EXPECT_ERROR(bytes, text)                                           \
  do {                                                                      \
    const std::string message = error_of(bytes);                            \
    EXPECT_NE(message.find(text), std::string::npos) << "got: " << message; \
  } while (0)

std::string p2(const std::string& body) {
  return std::string("\x80\x02", 2) + body + ".";
}

TEST(Pickle, Integers) {
  PickleWriter w;
  w.proto()
      .mark()
      .integer(7)
      .integer(300)
      .integer(-5)
      .integer(70000)
      .integer(int64_t{1} << 40)
      .integer(-(int64_t{1} << 40));
  w.raw("I01\nI00\nI-42\nL123456789012L\n").op(0x8a).le(0, 1).op(0x8b).le(2, 4).raw("\xff\x7f").tuple().stop();
  const Parsed r = run(w.bytes());
  ASSERT_TRUE(r.root().is(Kind::Tuple));
  const auto& v = r.root().items;
  ASSERT_EQ(v.size(), 12u);
  const int64_t ints[] = {7, 300, -5, 70000, int64_t{1} << 40, -(int64_t{1} << 40)};
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(v[i]->integer, ints[i]) << i;
  EXPECT_TRUE(v[6]->is(Kind::Bool) && v[6]->integer == 1);  // protocol 0 True
  EXPECT_TRUE(v[7]->is(Kind::Bool) && v[7]->integer == 0);
  EXPECT_EQ(v[8]->integer, -42);
  EXPECT_EQ(v[9]->integer, 123456789012);
  EXPECT_TRUE(v[10]->is(Kind::Int) && v[10]->integer == 0);  // LONG1 of no bytes
  EXPECT_EQ(v[11]->integer, 0x7fff);                         // LONG4
}

TEST(Pickle, BigIntegerKeepsItsBytes) {
  const std::string magic("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10);
  const Parsed r = run(p2(std::string("\x8a\x0a", 2) + magic));
  ASSERT_TRUE(r.root().is(Kind::BigInt));
  EXPECT_EQ(r.root().text, magic);
  // Redundant sign bytes are dropped: 9 bytes of -1 is the int -1.
  EXPECT_EQ(run(p2(std::string("\x8a\x09", 2) + std::string(9, '\xff'))).root().integer, -1);
}

TEST(Pickle, Floats) {
  PickleWriter w;
  w.proto().mark().op('G').raw(std::string("\x3f\xf8\0\0\0\0\0\0", 8)).raw("F-2.5e-3\n").tuple().stop();
  const Parsed r = run(w.bytes());
  EXPECT_EQ(r.root().items[0]->real, 1.5);
  EXPECT_EQ(r.root().items[1]->real, -2.5e-3);
  EXPECT_ERROR(p2("Fabc\n"), "not a float");
}

TEST(Pickle, StringsAndBytes) {
  PickleWriter w;
  w.proto().mark().str("héllo").op(0x8c).le(2, 1).raw("ab").op(0x8d).le(1, 8).raw("c");
  w.raw("Vx\\u00e9\\U0001F600y\n").op('U').le(2, 1).raw("py").op('T').le(3, 4).raw("abc");
  w.op('C').le(2, 1).raw("\x01\x02").op('B').le(1, 4).raw("\x03").op(0x8e).le(0, 8).op(0x96).le(1, 8).raw("z");
  w.tuple().stop();
  const Parsed r = run(w.bytes());
  const auto& v = r.root().items;
  ASSERT_EQ(v.size(), 10u);
  EXPECT_EQ(v[0]->text, "héllo");
  EXPECT_EQ(v[1]->text, "ab");
  EXPECT_EQ(v[2]->text, "c");
  EXPECT_EQ(v[3]->text, "x\xc3\xa9\xf0\x9f\x98\x80y");  // raw-unicode-escape decoded to UTF-8
  EXPECT_EQ(v[4]->text, "py");
  EXPECT_EQ(v[5]->text, "abc");
  for (size_t i = 0; i < 4; ++i) EXPECT_TRUE(v[i]->is(Kind::String));
  for (size_t i = 6; i < 10; ++i) EXPECT_TRUE(v[i]->is(Kind::Bytes)) << i;
  EXPECT_EQ(v[6]->text, std::string("\x01\x02"));
  EXPECT_EQ(v[8]->text, "");
  EXPECT_EQ(v[9]->text, "z");
}

TEST(Pickle, Containers) {
  PickleWriter w;
  w.proto().mark();
  w.op(')').integer(1).op(0x85).integer(1).integer(2).op(0x86).integer(1).integer(2).integer(3).op(0x87);
  w.mark().integer(4).integer(5).tuple();
  w.empty_list().integer(6).op('a').mark().integer(7).integer(8).appends();
  w.mark().integer(9).op('l');
  w.empty_dict().str("a").integer(1).op('s').mark().str("b").integer(2).str("a").integer(3).setitems();
  w.mark().str("k").none().op('d');
  w.op(0x8f).mark().integer(1).integer(2).op(0x90).mark().integer(3).op(0x91);
  w.tuple().stop();
  const Parsed r = run(w.bytes());
  const auto& v = r.root().items;
  ASSERT_EQ(v.size(), 11u);
  EXPECT_TRUE(v[0]->is(Kind::Tuple) && v[0]->items.empty());
  EXPECT_EQ(v[1]->items.size(), 1u);
  EXPECT_EQ(v[2]->items.size(), 2u);
  EXPECT_EQ(v[3]->items.size(), 3u);
  EXPECT_EQ(v[4]->items[1]->integer, 5);
  ASSERT_TRUE(v[5]->is(Kind::List));
  ASSERT_EQ(v[5]->items.size(), 3u);
  EXPECT_EQ(v[5]->items[2]->integer, 8);
  EXPECT_TRUE(v[6]->is(Kind::List) && v[6]->items.size() == 1);
  ASSERT_TRUE(v[7]->is(Kind::Dict));
  ASSERT_EQ(v[7]->entries.size(), 2u);  // 'a' set twice: the later value replaces it in place
  EXPECT_EQ(v[7]->find("a")->integer, 3);
  EXPECT_EQ(v[7]->entries[0].first->text, "a");
  EXPECT_EQ(v[7]->find("b")->integer, 2);
  EXPECT_EQ(v[7]->find("zz"), nullptr);
  EXPECT_TRUE(v[8]->find("k")->is(Kind::None));
  EXPECT_TRUE(v[9]->is(Kind::Set) && v[9]->items.size() == 2);
  EXPECT_TRUE(v[10]->is(Kind::FrozenSet) && v[10]->items.size() == 1);
}

TEST(Pickle, FrozenSetAndStackOps) {
  PickleWriter w;
  w.proto().mark().integer(1).integer(2).op(0x91).integer(9).op('0');  // POP drops 9
  w.mark().integer(5).integer(6).op('1');                              // POP_MARK drops (5, 6
  w.op('2').op(0x86).stop();                                           // DUP, TUPLE2
  const Parsed r = run(w.bytes());
  ASSERT_TRUE(r.root().is(Kind::Tuple));
  ASSERT_EQ(r.root().items.size(), 2u);
  EXPECT_EQ(r.root().items[0], r.root().items[1]);
  EXPECT_TRUE(r.root().items[0]->is(Kind::FrozenSet));
}

TEST(Pickle, MemoSharesValues) {
  PickleWriter w;
  w.proto().empty_list().op('q').le(1, 1).op('r').le(70000, 4).raw("p5\n").op(0x94);
  w.integer(1).op('a');
  w.op('h').le(1, 1).op('j').le(70000, 4).raw("g5\n").op('h').le(3, 1).op(0x87).op(0x86).stop();  // MEMOIZE -> key 3
  const Parsed r = run(w.bytes());
  const PickleValue* list = r.root().items[0];
  ASSERT_TRUE(list->is(Kind::List));
  ASSERT_EQ(list->items.size(), 1u);  // the APPEND after memoizing shows through every reference
  for (const PickleValue* other : r.root().items[1]->items) EXPECT_EQ(other, list);
  EXPECT_ERROR(p2("]h\x07"), "memo key 7 not found");
  EXPECT_ERROR(p2("]g-1\n"), "negative memo key");
}

TEST(Pickle, ProtocolFourFrames) {
  PickleWriter w;
  w.proto(4).op(0x95).le(12, 8).op(0x8c).le(5, 1).raw("torch").op(0x94).op(0x8c).le(4, 1).raw("Size").op(0x94);
  w.op(0x93).op(0x94).stop();
  const Parsed r = run(w.bytes());
  EXPECT_TRUE(r.root().is_global("torch.Size"));
  EXPECT_ERROR(p2(std::string("\x95\xff\0\0\0\0\0\0\0N", 10)), "frame of 255 bytes");
  EXPECT_ERROR(std::string("\x80\x06N."), "unsupported protocol 6");
}

TEST(Pickle, CallsAreNamedNotRun) {
  PickleWriter w;
  w.proto().mark();
  w.global("collections", "OrderedDict").op(')').op('R');
  w.global("collections", "OrderedDict").mark().str("x").integer(1).op(0x86).op('l').op(0x85).op('R');
  w.global("os", "system").mark().str("rm -rf /").tuple().op('R');
  w.global("builtins", "set").mark().integer(1).op('l').op(0x85).op('R');
  w.global("_codecs", "encode")
      .str(
          "\xc3\xbf"
          "a")
      .str("latin1")
      .op(0x86)
      .op('R');
  w.global("torch", "device").str("cpu").op(0x85).op(0x81).empty_dict().str("a").integer(2).op('s').op('b');
  w.global("m", "C").op(')').empty_dict().op(0x92);
  w.tuple().stop();
  const Parsed r = run(w.bytes());
  const auto& v = r.root().items;
  ASSERT_EQ(v.size(), 7u);
  EXPECT_TRUE(v[0]->is(Kind::Dict) && v[0]->entries.empty());
  EXPECT_EQ(v[1]->find("x")->integer, 1);
  ASSERT_TRUE(v[2]->is(Kind::Object));
  EXPECT_TRUE(v[2]->call->is_global("os.system"));
  EXPECT_EQ(v[2]->args->items[0]->text, "rm -rf /");
  EXPECT_TRUE(v[3]->is(Kind::Set));
  EXPECT_TRUE(v[4]->is(Kind::Bytes));
  EXPECT_EQ(v[4]->text,
            "\xff"
            "a");
  ASSERT_TRUE(v[5]->is(Kind::Object));  // NEWOBJ, then BUILD gives it state
  EXPECT_EQ(v[5]->state->find("a")->integer, 2);
  EXPECT_EQ(describe(*v[5]), "object(torch.device, ('cpu',))");
  ASSERT_TRUE(v[6]->is(Kind::Object));
  EXPECT_TRUE(v[6]->kwargs && v[6]->kwargs->is(Kind::Dict));
  EXPECT_ERROR(p2("cm\nf\nNR"), "not a tuple");
}

TEST(Pickle, SeveralPicklesShareAnArena) {
  const std::string bytes = p2("K\x01") + p2("K\x02");
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  const Unpickled first = unpickle(data, bytes.size(), {"t", "", 0});
  EXPECT_EQ(first.consumed, 5u);
  const Unpickled second = unpickle(data + 5, bytes.size() - 5, {"t", "", 5}, {}, {}, first.arena);
  EXPECT_EQ(second.root->integer, 2);
  EXPECT_EQ(first.arena, second.arena);
}

TEST(Pickle, SelfReferenceDoesNotLeakOrLoop) {
  // l = []; l.append(l): the list holds itself.
  const Parsed r =
      run(p2("]q\x01h\x01"
             "a"));
  ASSERT_TRUE(r.root().is(Kind::List));
  EXPECT_EQ(r.root().items[0], &r.root());
  EXPECT_FALSE(describe(r.root()).empty());
}

TEST(Pickle, ErrorsNameFileOffsetAndOpcode) {
  EXPECT_EQ(error_of(p2("]h\x07")), "t.pkl: pickle opcode 0x68 at byte 3: memo key 7 not found");
  const std::string bytes = p2("N");
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  try {
    unpickle(data, bytes.size() - 1, {"m.pth", "entry 'a/data.pkl': ", 100});
    FAIL();
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()), "m.pth: entry 'a/data.pkl': pickle ends at byte 103 without a STOP opcode");
  }
}

TEST(Pickle, MalformedInputs) {
  EXPECT_ERROR("", "without a STOP");
  EXPECT_ERROR(p2(""), "stack is empty");
  EXPECT_ERROR(p2("X\xff\xff\xff\x7f"
                  "abc"),
               "needs 2147483647 bytes, only 4 left");
  EXPECT_ERROR(p2(std::string("\x8d\xff\xff\xff\xff\xff\xff\xff\xff", 9)), "only 1 left");
  EXPECT_ERROR(p2("\xff"), "unknown opcode");
  EXPECT_ERROR(p2("S'a'\n"), "STRING");
  EXPECT_ERROR(p2("\x82\x01"), "EXT1");
  EXPECT_ERROR(p2("\x97"), "out-of-band");
  EXPECT_ERROR(p2("t"), "no MARK");
  EXPECT_ERROR(p2("(K\x01K\x02K\x03"
                  "d"),
               "odd number");
  EXPECT_ERROR(p2("K\x01K\x02"
                  "a"),
               "cannot add items to a int");
  EXPECT_ERROR(p2("(a"), "stack is empty");
  EXPECT_ERROR(p2("K\x01(K\x02K\x03u"), "cannot set items on a int");
  EXPECT_ERROR(p2("(\x85"), "stack is empty");  // TUPLE1 cannot reach below a MARK
  EXPECT_ERROR(p2("Q"), "stack is empty");
  EXPECT_ERROR(p2("NQ"), "persistent id outside a torch file");
  EXPECT_ERROR(p2("cos"), "no terminating newline");
  EXPECT_ERROR(p2("I99999999999999999999\n"), "not a 64-bit decimal");
  EXPECT_ERROR(p2("NN\x93"), "STACK_GLOBAL needs two strings");
  EXPECT_ERROR(p2("\x8b\xff\xff\xff\xff"), "negative LONG4");
  EXPECT_ERROR(p2("V\\u12\n"), "bad \\u escape");
  PickleWriter codecs;
  codecs.proto().global("_codecs", "encode").str("\xe2\x82").str("latin1").op(0x86).op('R').stop();
  EXPECT_ERROR(codecs.bytes(), "not latin-1");
  EXPECT_ERROR(p2("ccollections\nOrderedDict\nK\x01\x85\x85\x85R"), "not a sequence of pairs");
}

TEST(Pickle, LimitsBoundResources) {
  PickleLimits small;
  small.max_stack = 4;
  small.max_marks = 2;
  small.max_memo = 2;
  small.max_values = 8;
  EXPECT_NE(error_of(p2("NNNNN"), {}, small).find("stack deeper than 4"), std::string::npos);
  EXPECT_NE(error_of(p2("((("), {}, small).find("more than 2 open MARKs"), std::string::npos);
  EXPECT_NE(error_of(p2("Nq\x01q\x02q\x03"), {}, small).find("memo over 2"), std::string::npos);
  EXPECT_NE(error_of(p2("]0]0]0]0]0]0]0]0]0]0"), {}, small).find("more than 8 values"), std::string::npos);
  PickleWriter copies;  // L = [1, 2, 3]; set(L); set(L): each call copies L's items
  copies.proto().mark().integer(1).integer(2).integer(3).op('l').op('q').le(0, 1).op('0');
  for (int i = 0; i < 2; ++i) copies.global("builtins", "set").op('h').le(0, 1).op(0x85).op('R').op('0');
  copies.none().stop();
  PickleLimits few_copies;
  few_copies.max_call_items = 5;
  EXPECT_EQ(error_of(copies.bytes()), "");
  EXPECT_NE(error_of(copies.bytes(), {}, few_copies).find("calls copy over 5 items"), std::string::npos);
  EXPECT_EQ(error_of(p2("NNNN0000N"), {}, small), "");  // None is shared, the stack shrinks again
}

// --- torch interpretation ---------------------------------------------------------------------------------

struct TorchRun {
  StorageTable table;
  Unpickled u;
};

TorchRun run_torch(const std::string& bytes) {
  TorchRun r;
  r.u = unpickle(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), {"t.pkl", "", 0},
                 torch_pickle_hooks(&r.table));
  return r;
}

std::string torch_error(const std::string& bytes) {
  try {
    run_torch(bytes);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

std::string tensor_pickle(const std::string& type, int64_t numel, int64_t offset, const std::vector<int64_t>& size,
                          const std::vector<int64_t>& stride) {
  PickleWriter w;
  w.proto().tensor(type, "0", numel, offset, size, stride, false).stop();
  return w.bytes();
}

TEST(TorchPickle, RebuildTensorV2) {
  const TorchRun r = run_torch(tensor_pickle("FloatStorage", 12, 2, {2, 3}, {1, 2}));
  ASSERT_TRUE(r.u.root->is(Kind::Tensor));
  const TensorRef& t = *r.u.root->tensor;
  EXPECT_EQ(t.dtype, DType::F32);
  EXPECT_EQ(t.storage_offset, 2u);
  EXPECT_EQ(t.shape, (Shape{2, 3}));
  EXPECT_EQ(t.stride, (Shape{1, 2}));
  EXPECT_EQ(t.storage->key, "0");
  EXPECT_EQ(t.storage->numel, 12u);
  ASSERT_EQ(r.table.count("0"), 1u);
  EXPECT_EQ(r.table.at("0").unit, 4u);
  EXPECT_EQ(describe(*r.u.root), "F32 [2, 3]");
}

TEST(TorchPickle, ViewsMustFitTheirStorage) {
  EXPECT_EQ(torch_error(tensor_pickle("FloatStorage", 6, 0, {2, 3}, {3, 1})), "");
  EXPECT_EQ(torch_error(tensor_pickle("FloatStorage", 1, 0, {1000, 1000}, {0, 0})), "");  // expand() of 1 value
  EXPECT_EQ(torch_error(tensor_pickle("FloatStorage", 0, 5, {0, 3}, {3, 1})), "");        // empty: no element
  EXPECT_NE(torch_error(tensor_pickle("FloatStorage", 5, 0, {2, 3}, {3, 1})).find("reaches element 5"),
            std::string::npos);
  EXPECT_NE(torch_error(tensor_pickle("FloatStorage", 6, 1, {2, 3}, {3, 1})).find("reaches element 6"),
            std::string::npos);
  EXPECT_NE(torch_error(tensor_pickle("FloatStorage", 6, 0, {2, -3}, {3, 1})).find("size is negative"),
            std::string::npos);
  EXPECT_NE(torch_error(tensor_pickle("FloatStorage", 6, 0, {2, 3}, {3, -1})).find("stride is negative"),
            std::string::npos);
  EXPECT_NE(torch_error(tensor_pickle("FloatStorage", 6, 0, {2, 3}, {3})).find("differ in rank"), std::string::npos);
  EXPECT_NE(torch_error(tensor_pickle("FloatStorage", 6, 0, {int64_t{1} << 62, 8}, {1, 1})).find("overflow"),
            std::string::npos);
  EXPECT_NE(torch_error(tensor_pickle("FloatStorage", int64_t{1} << 62, 0, {1}, {1})).find("overflow"),
            std::string::npos);
  EXPECT_NE(torch_error(tensor_pickle("ComplexFloatStorage", 6, 0, {6}, {1})).find("not supported"), std::string::npos);
}

TEST(TorchPickle, ParametersV3AndSubclasses) {
  PickleWriter w;
  w.proto().mark();
  w.global("torch._utils", "_rebuild_parameter").mark();
  w.tensor("HalfStorage", "0", 4, 0, {4}, {1}, false).boolean(true).global("collections", "OrderedDict");
  w.op(')').op('R').tuple().op('R');
  // _rebuild_tensor_v3(UntypedStorage of 8 bytes, 0, (2,), (1,), False, OrderedDict(), torch.int32)
  w.global("torch._utils", "_rebuild_tensor_v3").mark().storage("UntypedStorage", "1", 8, false).integer(0);
  w.int_tuple({2}).int_tuple({1}).boolean(false).global("collections", "OrderedDict").op(')').op('R');
  w.global("torch", "int32").tuple().op('R');
  // _rebuild_from_type_v2(_rebuild_tensor_v2, MyTensor, (args…), {})
  w.global("torch._tensor", "_rebuild_from_type_v2").mark().global("torch._utils", "_rebuild_tensor_v2");
  w.global("my", "Tensor").mark().storage("BoolStorage", "2", 3, false).integer(0).int_tuple({3}).int_tuple({1});
  w.boolean(false).empty_dict().tuple().empty_dict().tuple().op('R');
  w.tuple().stop();
  const TorchRun r = run_torch(w.bytes());
  const auto& v = r.u.root->items;
  ASSERT_EQ(v.size(), 3u);
  ASSERT_TRUE(v[0]->is(Kind::Tensor));
  EXPECT_TRUE(v[0]->tensor->parameter);
  EXPECT_TRUE(v[0]->tensor->requires_grad);
  EXPECT_EQ(v[0]->tensor->dtype, DType::F16);
  ASSERT_TRUE(v[1]->is(Kind::Tensor));
  EXPECT_EQ(v[1]->tensor->dtype, DType::I32);
  EXPECT_EQ(r.table.at("1").unit, 1u);
  ASSERT_TRUE(v[2]->is(Kind::Tensor));
  EXPECT_EQ(v[2]->tensor->dtype, DType::Bool);
}

TEST(TorchPickle, RejectsWhatItCannotRead) {
  PickleWriter q;
  q.proto().global("torch._utils", "_rebuild_qtensor").op(')').op('R').stop();
  EXPECT_NE(torch_error(q.bytes()).find("quantized tensors are not supported"), std::string::npos);
  PickleWriter pid;
  pid.proto().mark().str("weird").tuple().op('Q').stop();
  EXPECT_NE(torch_error(pid.bytes()).find("is not a torch storage"), std::string::npos);
  PickleWriter untyped;  // an UntypedStorage tensor without a dtype argument
  untyped.proto().tensor("UntypedStorage", "0", 8, 0, {2}, {1}, false).stop();
  EXPECT_NE(torch_error(untyped.bytes()).find("without a dtype"), std::string::npos);
  PickleWriter mixed;  // one storage key used with two types
  mixed.proto().mark().storage("FloatStorage", "0", 4, false).storage("LongStorage", "0", 4, false).tuple().stop();
  EXPECT_NE(torch_error(mixed.bytes()).find("used as both"), std::string::npos);
  PickleWriter args;
  args.proto().global("torch._utils", "_rebuild_tensor_v2").op(')').op('R').stop();
  EXPECT_NE(torch_error(args.bytes()).find("expected 6 to 7 arguments, got 0"), std::string::npos);
  EXPECT_EQ(dtype_from_torch_dtype("torch.float8_e4m3fn"), std::nullopt);
  EXPECT_EQ(dtype_from_torch_dtype("torch.bfloat16"), DType::BF16);
}

TEST(TorchPickle, LegacyStorageViews) {
  PickleWriter w;  // ('storage', FloatStorage, 'root', 'cpu', 10, ('view', 4, 3)) -> elements [4, 7) of root
  w.proto().global("torch._utils", "_rebuild_tensor_v2").mark();
  w.mark().str("storage").global("torch", "FloatStorage").str("root").str("cpu").integer(10);
  w.str("view").integer(4).integer(3).op(0x87).tuple().op('Q');
  w.integer(0).int_tuple({3}).int_tuple({1}).boolean(false).empty_dict().tuple().op('R').stop();
  const TorchRun r = run_torch(w.bytes());
  ASSERT_TRUE(r.u.root->is(Kind::Tensor));
  EXPECT_EQ(r.u.root->tensor->storage->view_offset, 4u);
  EXPECT_EQ(r.u.root->tensor->storage->numel, 3u);
  EXPECT_EQ(r.table.at("root").units_needed, 10u);
}

}  // namespace
}  // namespace latentlab::io
