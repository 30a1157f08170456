// TorchScript exports: load a module saved by PyTorch, run its forward, enumerate its children, parameters and
// buffers, switch train/eval, convert dtypes, and run a forward that also returns every submodule's inputs and
// output ("taps").
//
// A ScriptModule handle is a heap `ert::ScriptHandle` that holds one reference to the module object; children get
// handles of their own (they share the object with the parent, as in PyTorch).
#include "bridge.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/autograd/forward_grad.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/csrc/jit/serialization/unpickler.h>
#include <torch/script.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <unordered_set>
#include <utility>

namespace ert {
namespace {

// One captured submodule call of a tapped method, relative to the module that owns the method.
struct TapDesc {
  std::string name;       // dotted path of the submodule, relative to the method's module
  std::string type_name;  // last part of the submodule's qualified class name
  int64_t n_inputs;       // how many values of the tuple hold the call's tensor inputs (the output follows them)
};

// A method added to a class type: the original method's graph plus every tap as extra outputs.
struct TappedMethod {
  std::string name;            // empty when the method calls no submodule (then the original is used as is)
  std::vector<TapDesc> taps;  // in completion order: a call's nested taps come before the call's own tap
};

using TapMemo = std::map<std::pair<const c10::ClassType*, std::string>, std::shared_ptr<TappedMethod>>;

std::atomic<int64_t> tap_session{0};

}  // namespace

struct ScriptHandle {
  torch::jit::Module module;
  std::shared_ptr<TappedMethod> taps;  // built on the first forward_with_taps
  std::string taps_error;              // why taps cannot be built (kept so a retry does not add methods again)
  std::string unoptimized_forward;     // a copy of forward that only ever runs unoptimized (made on first need)
};

namespace {

ScriptHandle& script(void* h) {
  if (h == nullptr) throw std::invalid_argument("the script module handle is null (disposed module)");
  return *static_cast<ScriptHandle*>(h);
}

char* dup_string(const std::string& s) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (out == nullptr) throw std::bad_alloc();
  std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

void** dup_handles(const std::vector<void*>& v) {
  void** out = static_cast<void**>(std::malloc(std::max<size_t>(1, v.size()) * sizeof(void*)));
  if (out == nullptr) throw std::bad_alloc();
  for (size_t i = 0; i < v.size(); ++i) out[i] = v[i];
  return out;
}

std::string short_type_name(const c10::ClassTypePtr& type) {
  auto qn = type->name();
  return qn ? qn->name() : std::string("Module");
}

bool forward_ad_active() {
  // libtorch 1.13 supports a single forward-AD level (index 0); it exists while a dual level is open.
  return torch::autograd::ForwardADLevel::try_get_by_idx(0) != nullptr;
}

// Optimized TorchScript execution silently drops forward-mode tangents (libtorch 1.13). Turning the optimizer off
// with GraphOptimizerEnabledGuard(false) is not enough on its own: once a function's executor has built its
// optimized plan (after a couple of ordinary runs), ProfilingGraphExecutorImpl::getPlanFor returns that plan
// before it looks at the flag. So unoptimized runs go to a copy of the method that is only ever run with the
// optimizer off and therefore never gets an optimized plan.
std::atomic<int64_t> method_copy_counter{0};

bool has_calls(torch::jit::Block* block) {
  for (auto* n : block->nodes()) {
    if (n->kind() == c10::prim::CallMethod || n->kind() == c10::prim::CallFunction) return true;
    for (auto* b : n->blocks())
      if (has_calls(b)) return true;
  }
  return false;
}

// Inlines every method and function call, so that running the graph never enters another function's executor
// (whose optimized plan, once built by ordinary calls of a child, would drop tangents). A function's executor
// only inlines on its own when the optimizer is on at the time it is created.
void inline_all(torch::jit::Graph& graph) {
  for (int round = 0; round < 64 && has_calls(graph.block()); ++round) torch::jit::Inline(graph);
  if (has_calls(graph.block()))
    throw std::runtime_error("cannot inline the module's method calls (recursion deeper than 64 levels?)");
}

std::string add_method_copy(const torch::jit::Module& module, const std::string& method, const std::string& tag) {
  auto type = module.type();
  auto graph = torch::jit::toGraphFunction(type->getMethod(method)).graph()->copy();
  inline_all(*graph);
  std::string name = "__ert_" + tag + "_" + std::to_string(method_copy_counter.fetch_add(1)) + "_" + method;
  auto* fn = type->compilation_unit()->create_function(c10::QualifiedName(*type->name(), name), graph);
  type->addMethod(fn);
  return name;
}

c10::IValue run_forward(ScriptHandle& h, std::vector<c10::IValue> inputs, bool optimize) {
  if (optimize && !forward_ad_active()) return h.module.forward(std::move(inputs));
  if (h.unoptimized_forward.empty()) h.unoptimized_forward = add_method_copy(h.module, "forward", "unoptimized");
  torch::jit::GraphOptimizerEnabledGuard guard(false);
  return h.module.get_method(h.unoptimized_forward)(std::move(inputs));
}

void flatten_tensors(const c10::IValue& v, std::vector<at::Tensor>& out) {
  if (v.isTensor()) {
    out.push_back(v.toTensor());
  } else if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) flatten_tensors(e, out);
  } else if (v.isList()) {
    for (const auto& e : v.toListRef()) flatten_tensors(e, out);
  } else if (v.isGenericDict()) {
    for (const auto& kv : v.toGenericDict()) flatten_tensors(kv.value(), out);
  }
}

std::vector<c10::IValue> to_inputs(void** inputs, int32_t n_inputs) {
  std::vector<c10::IValue> stack;
  stack.reserve(n_inputs);
  for (int32_t i = 0; i < n_inputs; ++i) stack.emplace_back(unwrap(inputs[i]));
  return stack;
}

bool is_tensor_value(const torch::jit::Value* v) { return v->type()->isSubtypeOf(*c10::TensorType::get()); }

// ---- load ---------------------------------------------------------------------------------------------------

// PyTorch builds miniz without CRC-32 checks, so a corrupted archive can reach the unpickler and the TorchScript
// compiler, and some of their failures abort the process (an error message that lazily unpickles corrupted debug
// info throws inside a noexcept what()). So the archive's structure and every stored entry's CRC-32 are checked
// here first, streaming, before libtorch sees the file.
class ZipVerifier {
 public:
  explicit ZipVerifier(const std::string& path) : path_(path), in_(path, std::ios::binary) {
    if (!in_) throw std::invalid_argument("cannot open '" + path + "' for reading");
    in_.seekg(0, std::ios::end);
    size_ = static_cast<uint64_t>(in_.tellg());
  }

  void verify() {
    if (size_ < 22) fail("it is too short to be a zip archive (" + std::to_string(size_) + " bytes)");
    // End of central directory: within the last 64 KiB + 22 bytes (the comment is at most 65535 bytes).
    uint64_t window = std::min<uint64_t>(size_, 65557);
    auto tail = read_at(size_ - window, window);
    int64_t eocd = -1;
    for (int64_t i = static_cast<int64_t>(window) - 22; i >= 0; --i)
      if (u32(tail, i) == 0x06054b50u) { eocd = i; break; }
    if (eocd < 0) fail("its end-of-central-directory record is missing (truncated?)");
    uint64_t entries = u16(tail, eocd + 10);
    uint64_t cd_size = u32(tail, eocd + 12);
    uint64_t cd_offset = u32(tail, eocd + 16);
    if (entries == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_offset == 0xFFFFFFFFu) {
      // Zip64: the locator sits right before the end record.
      uint64_t eocd_abs = size_ - window + static_cast<uint64_t>(eocd);
      if (eocd_abs < 20) fail("its zip64 locator is missing");
      auto loc = read_at(eocd_abs - 20, 20);
      if (u32(loc, 0) != 0x07064b50u) fail("its zip64 locator is missing");
      uint64_t rec_off = u64(loc, 8);
      auto rec = read_at(rec_off, 56);
      if (u32(rec, 0) != 0x06064b50u) fail("its zip64 end-of-central-directory record is invalid");
      entries = u64(rec, 32);
      cd_size = u64(rec, 40);
      cd_offset = u64(rec, 48);
    }
    if (cd_offset > size_ || cd_size > size_ - cd_offset) fail("its central directory lies outside the file (truncated?)");
    auto cd = read_at(cd_offset, cd_size);
    std::vector<std::pair<std::string, uint32_t>> compressed;
    uint64_t pos = 0;
    for (uint64_t k = 0; k < entries; ++k) {
      if (pos + 46 > cd.size() || u32(cd, pos) != 0x02014b50u) fail("its central directory is malformed");
      uint32_t method = u16(cd, pos + 10);
      uint32_t crc = u32(cd, pos + 16);
      uint64_t comp = u32(cd, pos + 20);
      uint64_t uncomp = u32(cd, pos + 24);
      uint64_t name_len = u16(cd, pos + 28), extra_len = u16(cd, pos + 30), comment_len = u16(cd, pos + 32);
      uint64_t local = u32(cd, pos + 42);
      if (pos + 46 + name_len + extra_len + comment_len > cd.size()) fail("its central directory is malformed");
      std::string name(reinterpret_cast<const char*>(cd.data() + pos + 46), name_len);
      // Zip64 extra field: the 64-bit values present are those whose 32-bit fields are saturated, in this order.
      uint64_t e = pos + 46 + name_len, e_end = e + extra_len;
      while (e + 4 <= e_end) {
        uint32_t id = u16(cd, e), len = u16(cd, e + 2);
        if (e + 4 + len > e_end) fail("entry '" + name + "' has a malformed extra field");
        if (id == 0x0001) {
          uint64_t q = e + 4;
          auto take = [&](uint64_t& field, uint64_t saturated) {
            if (field != saturated) return;
            if (q + 8 > e + 4 + len) fail("entry '" + name + "' has a malformed zip64 field");
            field = u64(cd, q);
            q += 8;
          };
          take(uncomp, 0xFFFFFFFFu);
          take(comp, 0xFFFFFFFFu);
          take(local, 0xFFFFFFFFu);
        }
        e += 4 + len;
      }
      pos += 46 + name_len + extra_len + comment_len;

      if (local > size_ || size_ - local < 30) fail("entry '" + name + "' points outside the file (truncated?)");
      auto lh = read_at(local, 30);
      if (u32(lh, 0) != 0x04034b50u) fail("entry '" + name + "' has no valid local header");
      uint64_t data = local + 30 + u16(lh, 26) + u16(lh, 28);
      if (data > size_ || comp > size_ - data) fail("entry '" + name + "' extends past the end of the file (truncated?)");
      if (method != 0) {
        // Deflated entries (PyTorch compresses code/ and debug info) are checked after decompression, below.
        if (uncomp > comp * 1040 + 1024) fail("entry '" + name + "' declares an impossible uncompressed size");
        compressed.push_back({name, crc});
        continue;
      }
      if (comp != uncomp) fail("stored entry '" + name + "' has inconsistent sizes");
      check_crc(name, crc, crc_of(data, comp));
    }
    if (!compressed.empty()) {
      // The reader inflates each record (with miniz, whose own CRC checks PyTorch disables).
      caffe2::serialize::PyTorchStreamReader reader(path_);
      for (const auto& [name, crc] : compressed) {
        auto slash = name.find('/');
        auto record = reader.getRecord(slash == std::string::npos ? name : name.substr(slash + 1));
        check_crc(name, crc, crc_update(0xFFFFFFFFu, static_cast<const uint8_t*>(std::get<0>(record).get()),
                                        std::get<1>(record)) ^ 0xFFFFFFFFu);
      }
    }
    check_module_class_bodies();
  }

 private:
  // libtorch 1.13's importer dereferences a missing type annotation (a null pointer) when a Module class body holds
  // an assignment without one, e.g. `  __parameters_W = []` (found by fuzzing with recomputed CRCs: a segfault, not
  // an exception). Such lines never come from torch.jit.save, so they are rejected here before libtorch parses them.
  void check_module_class_bodies() {
    caffe2::serialize::PyTorchStreamReader reader(path_);
    for (const auto& record : reader.getAllRecords()) {
      if (record.rfind("code/", 0) != 0 || record.size() < 3 || record.compare(record.size() - 3, 3, ".py") != 0) continue;
      auto data = reader.getRecord(record);
      std::string text(static_cast<const char*>(std::get<0>(data).get()), std::get<1>(data));
      check_class_bodies(record, text);
    }
  }

  void check_class_bodies(const std::string& record, const std::string& text) const {
    std::istringstream lines(text);
    std::string line;
    bool in_module_class = false;
    int depth = 0;  // open brackets carried over from earlier lines (a statement continues while > 0)
    int number = 0;
    while (std::getline(lines, line)) {
      ++number;
      const bool statement_start = depth == 0;
      for (char c : line) {
        if (c == '(' || c == '[' || c == '{') ++depth;
        else if ((c == ')' || c == ']' || c == '}') && depth > 0) --depth;
      }
      if (!statement_start || line.empty()) continue;
      if (line[0] != ' ') {
        in_module_class = line.rfind("class ", 0) == 0 && line.find("(Module):") != std::string::npos;
        continue;
      }
      if (!in_module_class || line.size() < 3 || line[1] != ' ' || line[2] == ' ') continue;  // class-level only
      std::string stmt = line.substr(2);
      if (stmt.rfind("def ", 0) == 0 || stmt[0] == '@' || stmt.rfind("__annotations__[", 0) == 0) continue;
      size_t eq = stmt.find('=');
      size_t colon = stmt.find(':');
      if (eq == std::string::npos || (colon != std::string::npos && colon < eq)) continue;  // `name : T [= v]`
      std::string target = stmt.substr(0, stmt.find_first_of(" =", 0));
      static const std::array<const char*, 5> allowed = {"__parameters__", "__buffers__", "__forward_hooks__",
                                                         "__forward_pre_hooks__", "__constants__"};
      if (std::find(allowed.begin(), allowed.end(), target) != allowed.end()) continue;
      fail("'" + record + "' line " + std::to_string(number) + " assigns class attribute '" + target +
           "' without a type annotation, which torch.jit.save never writes (corrupted code)");
    }
  }

  [[noreturn]] void fail(const std::string& why) const {
    throw std::invalid_argument("'" + path_ + "' is not a valid TorchScript archive: " + why);
  }

  std::vector<uint8_t> read_at(uint64_t offset, uint64_t n) {
    if (offset > size_ || n > size_ - offset) fail("a record lies outside the file (truncated?)");
    std::vector<uint8_t> buf(n);
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(n));
    if (static_cast<uint64_t>(in_.gcount()) != n) fail("reading failed");
    return buf;
  }

  void check_crc(const std::string& name, uint32_t recorded, uint32_t actual) const {
    if (actual == recorded) return;
    std::ostringstream os;
    os << "entry '" << name << "' fails its CRC-32 check (recorded 0x" << std::hex << recorded << ", computed 0x"
       << actual << "): the file is corrupted";
    fail(os.str());
  }

  static uint32_t crc_update(uint32_t c, const uint8_t* data, size_t n) {
    static const auto table = [] {
      std::array<uint32_t, 256> t{};
      for (uint32_t i = 0; i < 256; ++i) {
        uint32_t v = i;
        for (int k = 0; k < 8; ++k) v = (v & 1) ? 0xEDB88320u ^ (v >> 1) : v >> 1;
        t[i] = v;
      }
      return t;
    }();
    for (size_t i = 0; i < n; ++i) c = table[(c ^ data[i]) & 0xFF] ^ (c >> 8);
    return c;
  }

  uint32_t crc_of(uint64_t offset, uint64_t n) {
    uint32_t c = 0xFFFFFFFFu;
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset));
    std::vector<char> buf(1 << 16);
    while (n > 0) {
      auto chunk = static_cast<std::streamsize>(std::min<uint64_t>(n, buf.size()));
      in_.read(buf.data(), chunk);
      if (in_.gcount() != chunk) fail("reading failed");
      c = crc_update(c, reinterpret_cast<const uint8_t*>(buf.data()), static_cast<size_t>(chunk));
      n -= static_cast<uint64_t>(chunk);
    }
    return c ^ 0xFFFFFFFFu;
  }

  static uint32_t u16(const std::vector<uint8_t>& b, uint64_t i) { return b[i] | (b[i + 1] << 8); }
  static uint32_t u32(const std::vector<uint8_t>& b, uint64_t i) {
    return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (static_cast<uint32_t>(b[i + 3]) << 24);
  }
  static uint64_t u64(const std::vector<uint8_t>& b, uint64_t i) {
    return static_cast<uint64_t>(u32(b, i)) | (static_cast<uint64_t>(u32(b, i + 4)) << 32);
  }

  std::string path_;
  std::ifstream in_;
  uint64_t size_ = 0;
};

// A tensor whose sizes, strides and offset reach past its storage (a storage record cut short, with the CRC
// recomputed) loads without complaint and then reads out of bounds, so every tensor reachable from the loaded
// module is checked: attributes (parameters, buffers, nested objects and containers) and the constants in its code.
void check_tensor_storage(const at::Tensor& t, const std::string& where) {
  if (!t.defined() || t.layout() != at::kStrided || !t.has_storage() || t.numel() == 0) return;
  auto bad = [&](const std::string& why) {
    throw std::invalid_argument("tensor " + where + " " + why + ": the archive is corrupted");
  };
  if (t.storage_offset() < 0) bad("has a negative storage offset");
  __int128 last = t.storage_offset();
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (t.stride(d) < 0) bad("has a negative stride");
    last += static_cast<__int128>(t.size(d) - 1) * t.stride(d);
  }
  __int128 need = (last + 1) * static_cast<__int128>(t.element_size());
  if (need > static_cast<__int128>(t.storage().nbytes()))
    bad("needs " + std::to_string(static_cast<long double>(need)) + " bytes but its storage holds " +
        std::to_string(t.storage().nbytes()));
}

void check_ivalue_tensors(const c10::IValue& v, const std::string& where, std::unordered_set<const void*>& seen) {
  if (v.isTensor()) {
    check_tensor_storage(v.toTensor(), where);
  } else if (v.isObject()) {
    auto obj = v.toObject();
    if (!seen.insert(obj.get()).second) return;
    auto type = obj->type();
    for (size_t i = 0; i < type->numAttributes() && i < obj->slots().size(); ++i)
      check_ivalue_tensors(obj->getSlot(i), where + "." + type->getAttributeName(i), seen);
  } else if (v.isTuple()) {
    const auto& elems = v.toTupleRef().elements();
    for (size_t i = 0; i < elems.size(); ++i) check_ivalue_tensors(elems[i], where + "[" + std::to_string(i) + "]", seen);
  } else if (v.isList()) {
    auto list = v.toListRef();
    for (size_t i = 0; i < list.size(); ++i) check_ivalue_tensors(list[i], where + "[" + std::to_string(i) + "]", seen);
  } else if (v.isGenericDict()) {
    for (const auto& kv : v.toGenericDict()) check_ivalue_tensors(kv.value(), where + "[...]", seen);
  }
}

void check_constant_tensors(torch::jit::Block* block, const std::string& where, std::unordered_set<const void*>& seen) {
  for (auto* n : block->nodes()) {
    if (n->kind() == c10::prim::Constant && n->hasAttribute(c10::attr::value)) {
      auto kind = n->kindOf(c10::attr::value);
      if (kind == torch::jit::AttributeKind::t) check_tensor_storage(n->t(c10::attr::value), "constant in " + where);
      else if (kind == torch::jit::AttributeKind::ival) check_ivalue_tensors(n->ival(c10::attr::value), "constant in " + where, seen);
    }
    for (auto* b : n->blocks()) check_constant_tensors(b, where, seen);
  }
}

// libtorch sizes each storage from the pickle (numel x itemsize) but gives it the record's bytes, however few: a
// storage record cut short (with its CRC recomputed) loads "fine" and is then read out of bounds. So, before
// loading, data.pkl and constants.pkl are unpickled here with a read_record that remembers each record's real size,
// and every storage must fit in its record. Objects are rebuilt as placeholders (only their tensors matter). If
// this pre-pass itself fails to parse, the real load decides (it runs the same unpickler and would fail the same way).
void check_storage_records(const std::string& path) {
  caffe2::serialize::PyTorchStreamReader reader(path);
  auto scratch = std::make_shared<torch::jit::CompilationUnit>();
  std::map<std::string, c10::ClassTypePtr> types;
  auto resolve = [&](const c10::QualifiedName& name) {
    auto& type = types[name.qualifiedName()];
    if (!type) {
      type = c10::ClassType::create(name, scratch);
      type->addAttribute("state", c10::AnyType::get());
    }
    return c10::StrongTypePtr(scratch, type);
  };
  auto load_object = [](const at::StrongTypePtr& type, c10::IValue state) {
    auto obj = c10::ivalue::Object::create(type, 1);
    obj->setSlot(0, std::move(state));
    return obj;
  };
  for (const std::string archive : {"data", "constants"}) {
    if (!reader.hasRecord(archive + ".pkl")) continue;
    auto pickle = reader.getRecord(archive + ".pkl");
    const char* bytes = static_cast<const char*>(std::get<0>(pickle).get());
    const size_t size = std::get<1>(pickle);
    size_t pos = 0;
    auto read = [&](char* buf, size_t n) {
      n = std::min(n, size - pos);
      if (n > 0) std::memcpy(buf, bytes + pos, n);
      pos += n;
      return n;
    };
    std::map<const void*, std::pair<std::string, size_t>> records;
    auto read_record = [&](const std::string& key) {
      auto name = archive + "/" + key;
      auto record = reader.getRecord(name);
      records[std::get<0>(record).get()] = {name, std::get<1>(record)};
      return std::move(std::get<0>(record));
    };
    c10::IValue value;
    try {
      torch::jit::Unpickler unpickler(read, resolve, load_object, read_record, c10::Device(c10::kCPU));
      value = unpickler.parse_ivalue();
    } catch (const std::exception&) {
      continue;
    }
    std::vector<at::Tensor> tensors;
    std::unordered_set<const void*> seen;
    std::function<void(const c10::IValue&)> collect = [&](const c10::IValue& v) {
      if (v.isTensor()) {
        tensors.push_back(v.toTensor());
      } else if (v.isObject()) {
        auto obj = v.toObject();
        if (!seen.insert(obj.get()).second) return;
        for (const auto& slot : obj->slots()) collect(slot);
      } else if (v.isTuple()) {
        for (const auto& e : v.toTupleRef().elements()) collect(e);
      } else if (v.isList()) {
        for (const auto& e : v.toListRef()) collect(e);
      } else if (v.isGenericDict()) {
        for (const auto& kv : v.toGenericDict()) collect(kv.value());
      }
    };
    collect(value);
    for (const auto& t : tensors) {
      if (!t.defined() || !t.has_storage()) continue;
      auto it = records.find(t.storage().data());
      if (it == records.end()) continue;
      if (t.storage().nbytes() > it->second.second)
        throw std::invalid_argument("'" + path + "' is not a valid TorchScript archive: record '" + it->second.first +
                                    "' holds " + std::to_string(it->second.second) + " bytes but its tensor storage needs " +
                                    std::to_string(t.storage().nbytes()) + " (corrupted)");
      check_tensor_storage(t, "in " + it->second.first);
    }
  }
}

void check_loaded_tensors(const torch::jit::Module& module) {
  std::unordered_set<const void*> seen;
  check_ivalue_tensors(module._ivalue(), "self", seen);
  for (auto* fn : module.type()->compilation_unit()->get_functions())
    if (fn->isGraphFunction()) check_constant_tensors(torch::jit::toGraphFunction(*fn).graph()->block(), fn->qualname().qualifiedName(), seen);
}

torch::jit::Module load_checked(const std::string& path) {
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::invalid_argument("cannot open '" + path + "' for reading");
    char magic[4] = {0, 0, 0, 0};
    in.read(magic, 4);
    if (in.gcount() < 4 || std::memcmp(magic, "PK\x03\x04", 4) != 0)
      throw std::invalid_argument("'" + path +
                                  "' is not a TorchScript archive: it does not start with the zip signature PK\\x03\\x04 "
                                  "(TorchScript files are zip archives written by torch.jit.save)");
  }
  ZipVerifier(path).verify();
  {
    // Opening the archive validates the zip directory; a TorchScript archive has constants.pkl and code/,
    // a plain torch.save pickle has neither.
    caffe2::serialize::PyTorchStreamReader reader(path);
    if (!reader.hasRecord("constants.pkl"))
      throw std::invalid_argument("'" + path +
                                  "' is a PyTorch zip archive but not a TorchScript module (no constants.pkl; "
                                  "was it written by torch.save? Save with torch.jit.script(model).save(path))");
  }
  check_storage_records(path);
  auto module = torch::jit::load(path, c10::Device(c10::kCPU));
  check_loaded_tensors(module);
  return module;
}

// ---- taps ---------------------------------------------------------------------------------------------------

void collect_calls(torch::jit::Block* block, std::vector<torch::jit::Node*>& out) {
  for (auto* n : block->nodes()) {
    if (n->kind() == c10::prim::CallMethod) out.push_back(n);
    for (auto* b : n->blocks()) collect_calls(b, out);
  }
}

// The attribute path from the graph's `self` to the module a CallMethod is called on ({} for self).
bool resolve_module_path(torch::jit::Value* v, torch::jit::Value* self, std::vector<std::string>& path) {
  if (v == self) return true;
  auto* n = v->node();
  if (n->kind() != c10::prim::GetAttr) return false;
  if (!resolve_module_path(n->input(0), self, path)) return false;
  path.push_back(n->s(c10::attr::name));
  return true;
}

std::string join_path(const std::vector<std::string>& path) {
  std::string s;
  for (const auto& p : path) s += (s.empty() ? "" : ".") + p;
  return s;
}

std::string prefixed(const std::string& prefix, const std::string& name) {
  if (prefix.empty()) return name;
  if (name.empty()) return prefix;
  return prefix + "." + name;
}

// "forward", or the "forward1", "forward2", ... that tracing emits when one submodule is called more than once.
bool is_forward_name(const std::string& name) {
  if (name.rfind("forward", 0) != 0) return false;
  for (size_t i = 7; i < name.size(); ++i)
    if (name[i] < '0' || name[i] > '9') return false;
  return true;
}

torch::jit::Value* insert_clone(torch::jit::Graph& g, torch::jit::Value* v) {
  // Cloning keeps the captured value even when a later op changes it in place (e.g. ReLU(inplace=True)).
  return g.insert(c10::aten::clone, {v});
}

std::shared_ptr<TappedMethod> build_tapped(const torch::jit::Module& module, const std::string& method_name,
                                           int64_t session, TapMemo& memo) {
  const auto type = module.type();
  auto key = std::make_pair(type.get(), method_name);
  if (auto it = memo.find(key); it != memo.end()) return it->second;

  auto* fn = type->findMethod(method_name);
  if (fn == nullptr)
    throw std::invalid_argument("module of type " + type->annotation_str() + " has no method '" + method_name + "'");
  auto graph = torch::jit::toGraphFunction(*fn).graph()->copy();
  auto* self = graph->inputs().at(0);

  std::vector<torch::jit::Node*> calls;
  collect_calls(graph->block(), calls);

  auto result = std::make_shared<TappedMethod>();
  std::vector<torch::jit::Value*> tap_values;

  for (auto* call : calls) {
    const std::string called = call->s(c10::attr::name);
    std::vector<std::string> path;
    if (!resolve_module_path(call->input(0), self, path))
      throw std::runtime_error("forward_with_taps: cannot tell which submodule '" + type->annotation_str() + "." +
                               method_name + "' calls method '" + called +
                               "' on (the module value does not come from a chain of attribute reads)");
    torch::jit::Module callee = module;
    for (const auto& p : path) callee = torch::jit::Module(callee.attr(p).toObject());
    if (!callee.type()->is_module()) continue;  // a TorchScript class object, not a submodule: no hooks, no children
    const std::string rel = join_path(path);
    const bool own_tap = !path.empty() && is_forward_name(called);  // PyTorch hooks fire on forward only
    auto nested = build_tapped(callee, called, session, memo);
    if (!own_tap && nested->taps.empty()) continue;

    if (call->owningBlock() != graph->block())
      // Values computed inside an if/loop body are not visible outside it, and a loop may call a module any
      // number of times, so a fixed tuple of taps cannot describe them.
      throw std::runtime_error("forward_with_taps: submodule '" + (rel.empty() ? std::string("self") : rel) +
                               "' is called inside control flow (if/loop) in " + type->annotation_str() + "." +
                               method_name + "; taps support only submodule calls outside if/loop blocks");
    if (!call->input(0)->type()->cast<c10::ClassType>())
      throw std::runtime_error("forward_with_taps: submodule '" + rel +
                               "' is called through a module interface; taps need its concrete class");

    std::vector<torch::jit::Value*> captured_inputs;
    torch::jit::Value* output = call->output();
    std::vector<torch::jit::Value*> nested_values;
    {
      torch::jit::WithInsertPoint guard(call);
      if (own_tap)
        for (size_t i = 1; i < call->inputs().size(); ++i)
          if (is_tensor_value(call->input(i))) captured_inputs.push_back(insert_clone(*graph, call->input(i)));
      if (!nested->taps.empty()) {
        // Call the callee's tapped method instead and split its tuple: (original output, nested taps...).
        auto& callee_fn = callee.type()->getMethod(nested->name);
        auto* new_call = graph->create(c10::prim::CallMethod, call->inputs(), 1);
        new_call->s_(c10::attr::name, nested->name);
        new_call->output()->setType(callee_fn.getSchema().returns().at(0).type());
        graph->insertNode(new_call);
        auto* unpack = graph->insertNode(graph->createTupleUnpack(new_call->output()));
        output = unpack->outputs().at(0);
        output->setType(call->output()->type());
        for (size_t i = 1; i < unpack->outputs().size(); ++i) nested_values.push_back(unpack->outputs()[i]);
      }
    }
    if (output != call->output()) {
      // Destroyed only once no insert-point guard refers to it any more.
      call->output()->replaceAllUsesWith(output);
      call->destroy();
    }
    for (const auto& t : nested->taps) result->taps.push_back({prefixed(rel, t.name), t.type_name, t.n_inputs});
    tap_values.insert(tap_values.end(), nested_values.begin(), nested_values.end());
    if (own_tap) {
      torch::jit::Value* captured_output = output;
      if (is_tensor_value(output)) {
        torch::jit::WithInsertPoint after_guard(output->node()->next());
        captured_output = insert_clone(*graph, output);
      }
      tap_values.insert(tap_values.end(), captured_inputs.begin(), captured_inputs.end());
      tap_values.push_back(captured_output);
      result->taps.push_back({rel, short_type_name(callee.type()), static_cast<int64_t>(captured_inputs.size())});
    }
  }

  if (!result->taps.empty()) {
    // New single output: (original output, tap values...).
    std::vector<torch::jit::Value*> outs{graph->outputs().at(0)};
    outs.insert(outs.end(), tap_values.begin(), tap_values.end());
    torch::jit::WithInsertPoint guard(graph->return_node());
    auto* tuple = graph->insertNode(graph->createTuple(outs));
    graph->eraseOutput(0);
    graph->registerOutput(tuple->output());

    inline_all(*graph);
    result->name = "__ert_tapped_" + std::to_string(session) + "_" + method_name;
    auto cu = type->compilation_unit();
    auto* new_fn = cu->create_function(c10::QualifiedName(*type->name(), result->name), graph);
    type->addMethod(new_fn);
  }
  memo[key] = result;
  return result;
}

}  // namespace
}  // namespace ert

using ert::ScriptHandle;
using ert::unwrap;
using ert::wrap;

ERT_EXPORT int ert_jit_load(const char* path, void** out) {
  ERT_GUARD({
    *out = nullptr;
    if (path == nullptr) throw std::invalid_argument("path is null");
    auto module = ert::load_checked(path);
    *out = new ScriptHandle{std::move(module), nullptr};
  })
}

ERT_EXPORT void ert_jit_free(void* h) { delete static_cast<ScriptHandle*>(h); }

ERT_EXPORT void ert_jit_free_array(void** a) { std::free(a); }

ERT_EXPORT int ert_jit_type_name(void* h, int32_t qualified, char** out) {
  ERT_GUARD({
    auto type = ert::script(h).module.type();
    auto name = type->name();
    *out = ert::dup_string(qualified && name ? name->qualifiedName() : ert::short_type_name(type));
  })
}

// kind 0: own parameters, 1: own buffers (tensor handles); 2: direct children (script handles).
// Names come back joined by '\n' (attribute names cannot contain it).
ERT_EXPORT int ert_jit_named_members(void* h, int32_t kind, char** names, void*** handles, int32_t* count) {
  ERT_GUARD({
    auto& m = ert::script(h).module;
    std::string joined;
    std::vector<void*> hs;
    try {
      auto add_name = [&](const std::string& n) { joined += (hs.empty() ? "" : "\n") + n; };
      if (kind == 0) {
        for (const auto& p : m.named_parameters(false)) { add_name(p.name); hs.push_back(wrap(p.value)); }
      } else if (kind == 1) {
        for (const auto& b : m.named_buffers(false)) { add_name(b.name); hs.push_back(wrap(b.value)); }
      } else if (kind == 2) {
        for (const auto& c : m.named_children()) { add_name(c.name); hs.push_back(new ScriptHandle{c.value, nullptr}); }
      } else {
        throw std::invalid_argument("member kind must be 0, 1 or 2");
      }
      *names = ert::dup_string(joined);
      *handles = ert::dup_handles(hs);
      *count = static_cast<int32_t>(hs.size());
    } catch (...) {
      for (void* x : hs) {
        if (kind == 2) delete static_cast<ScriptHandle*>(x);
        else { ert::live_tensors.fetch_sub(1); delete static_cast<at::Tensor*>(x); }
      }
      throw;
    }
  })
}

ERT_EXPORT int ert_jit_is_training(void* h, int32_t* out) {
  ERT_GUARD({ *out = ert::script(h).module.is_training() ? 1 : 0; })
}

// Sets this module's own `training` attribute (not its children's: the managed side walks the tree).
ERT_EXPORT int ert_jit_set_training(void* h, int32_t mode) {
  ERT_GUARD({
    auto& m = ert::script(h).module;
    if (m.type()->hasAttribute("training")) m.setattr("training", mode != 0);
  })
}

// Converts this module's own floating-point parameters and buffers in place (set_data keeps each tensor's
// identity, so handles already given out see the new dtype). Integer buffers such as num_batches_tracked stay.
ERT_EXPORT int ert_jit_convert_own(void* h, int32_t dtype) {
  ERT_GUARD({
    auto& m = ert::script(h).module;
    auto target = static_cast<at::ScalarType>(dtype);
    if (!at::isFloatingType(target)) throw std::invalid_argument("target dtype must be floating point");
    at::NoGradGuard no_grad;
    auto convert = [&](at::Tensor t) {
      if (t.defined() && at::isFloatingType(t.scalar_type()) && t.scalar_type() != target) t.set_data(t.to(target));
    };
    for (const auto& p : m.named_parameters(false)) convert(p.value);
    for (const auto& b : m.named_buffers(false)) convert(b.value);
  })
}

ERT_EXPORT int ert_jit_has_method(void* h, const char* name, int32_t* out) {
  ERT_GUARD({ *out = ert::script(h).module.find_method(name).has_value() ? 1 : 0; })
}

// Runs forward; every tensor of the result (a tensor, or tensors nested in tuples/lists/dicts) comes back in
// order. *is_tensor says whether the result itself was one tensor.
ERT_EXPORT int ert_jit_forward(void* h, void** inputs, int32_t n_inputs, int32_t optimize, void*** outs,
                               int32_t* n_out, int32_t* is_tensor) {
  ERT_GUARD({
    c10::IValue result = ert::run_forward(ert::script(h), ert::to_inputs(inputs, n_inputs), optimize != 0);
    std::vector<at::Tensor> tensors;
    ert::flatten_tensors(result, tensors);
    std::vector<void*> hs;
    for (auto& t : tensors) hs.push_back(wrap(t));
    *is_tensor = result.isTensor() ? 1 : 0;
    *n_out = static_cast<int32_t>(hs.size());
    *outs = ert::dup_handles(hs);
  })
}

// Forward that also captures each submodule call. Tensors come back as: the forward's result tensors, then per tap
// its tensor inputs and its output tensors. *meta describes the layout, one line per entry:
//   first line: number of result tensors \t whether the result is one tensor; then per tap: name \t type name \t #input tensors \t #output tensors.
ERT_EXPORT int ert_jit_forward_with_taps(void* h, void** inputs, int32_t n_inputs, int32_t optimize, void*** outs,
                                         int32_t* n_out, char** meta) {
  ERT_GUARD({
    auto& handle = ert::script(h);
    if (!handle.taps_error.empty()) throw std::runtime_error(handle.taps_error);
    if (!handle.taps) {
      ert::TapMemo memo;
      int64_t session = ert::tap_session.fetch_add(1);
      try {
        handle.taps = ert::build_tapped(handle.module, "forward", session, memo);
      } catch (const std::exception& e) {
        handle.taps_error = e.what();
        throw;
      }
    }
    const auto& plan = *handle.taps;
    auto stack = ert::to_inputs(inputs, n_inputs);
    stack.insert(stack.begin(), handle.module._ivalue());
    std::vector<at::Tensor> tensors;
    std::ostringstream desc;
    if (plan.taps.empty()) {
      // No submodule calls: the plain forward is the whole story.
      stack.erase(stack.begin());
      c10::IValue result = ert::run_forward(handle, std::move(stack), optimize != 0);
      ert::flatten_tensors(result, tensors);
      desc << tensors.size() << "\t" << (result.isTensor() ? 1 : 0) << "\n";
    } else {
      // Tapped methods are ours alone and always run unoptimized (see run_forward), so their tangents are kept.
      auto& fn = handle.module.type()->getMethod(plan.name);
      c10::IValue result;
      {
        torch::jit::GraphOptimizerEnabledGuard guard(false);
        fn.run(stack);
        result = stack.back();
      }
      const auto& elems = result.toTupleRef().elements();
      ert::flatten_tensors(elems.at(0), tensors);
      desc << tensors.size() << "\t" << (elems.at(0).isTensor() ? 1 : 0) << "\n";
      size_t pos = 1;
      for (const auto& tap : plan.taps) {
        for (int64_t i = 0; i < tap.n_inputs; ++i) tensors.push_back(elems.at(pos++).toTensor());
        size_t before = tensors.size();
        ert::flatten_tensors(elems.at(pos++), tensors);
        desc << tap.name << "\t" << tap.type_name << "\t" << tap.n_inputs << "\t" << (tensors.size() - before)
             << "\n";
      }
    }
    std::vector<void*> hs;
    for (auto& t : tensors) hs.push_back(wrap(t));
    *meta = ert::dup_string(desc.str());
    *n_out = static_cast<int32_t>(hs.size());
    *outs = ert::dup_handles(hs);
  })
}
