// The generic op export: any ATen operator, called through the dispatcher by schema name.
// One managed method per op is the only declaration an op needs; arguments are converted here
// according to the operator's schema (int -> float where a float is expected, a single int ->
// int[] where a list is expected, null tensor -> None, Default -> the schema's default value).
#include "bridge.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>

namespace {

enum ArgKind : int32_t {
  kNone = 0,
  kDefault = 1,
  kInt = 2,
  kDouble = 3,
  kBool = 4,
  kTensor = 5,
  kIntList = 6,
  kDoubleList = 7,
  kTensorList = 8,
  kString = 9,
  kGenerator = 10,
  kScalarType = 11,
};

struct Arg {
  int32_t kind;
  int32_t length;
  int64_t i;
  double d;
  void* p;
};

c10::TypePtr unwrap_optional_type(const c10::TypePtr& t) {
  if (auto opt = t->cast<c10::OptionalType>()) return opt->getElementType();
  return t;
}

bool is_list_of(const c10::TypePtr& t, c10::TypeKind kind) {
  auto list = t->cast<c10::ListType>();
  return list && list->getElementType()->kind() == kind;
}

c10::IValue to_ivalue(const Arg& a, const c10::Argument& schema_arg, const std::string& op) {
  const c10::TypePtr type = unwrap_optional_type(schema_arg.type());
  switch (a.kind) {
    case kNone:
      // A null reference for an argument the schema does not declare optional: say so (libtorch would report an
      // internal assert or "Expected Tensor but got None"); Ops turns this message into an ArgumentNullException.
      if (schema_arg.type()->kind() != c10::TypeKind::OptionalType && schema_arg.type()->kind() != c10::TypeKind::NoneType)
        throw std::invalid_argument(op + ": argument '" + schema_arg.name() + "' is required but was null");
      return c10::IValue();
    case kDefault:
      if (!schema_arg.default_value())
        throw std::invalid_argument(op + ": argument '" + schema_arg.name() + "' has no default and was not given");
      return *schema_arg.default_value();
    case kInt:
      if (type->kind() == c10::TypeKind::FloatType) return c10::IValue(static_cast<double>(a.i));
      if (type->kind() == c10::TypeKind::ListType) {
        int64_t n = schema_arg.N() ? *schema_arg.N() : 1;
        return c10::IValue(std::vector<int64_t>(static_cast<size_t>(n), a.i));
      }
      return c10::IValue(a.i);
    case kDouble:
      return c10::IValue(a.d);
    case kBool:
      return c10::IValue(a.i != 0);
    case kScalarType:
      return c10::IValue(a.i);
    case kTensor:
      if (a.p == nullptr) return c10::IValue();
      return c10::IValue(*static_cast<at::Tensor*>(a.p));
    case kIntList: {
      const auto* v = static_cast<const int64_t*>(a.p);
      return c10::IValue(std::vector<int64_t>(v, v + a.length));
    }
    case kDoubleList: {
      const auto* v = static_cast<const double*>(a.p);
      return c10::IValue(std::vector<double>(v, v + a.length));
    }
    case kTensorList: {
      auto** hs = static_cast<void**>(a.p);
      if (is_list_of(type, c10::TypeKind::OptionalType)) {
        c10::List<c10::optional<at::Tensor>> list;
        for (int32_t k = 0; k < a.length; ++k)
          list.push_back(hs[k] == nullptr ? c10::optional<at::Tensor>() : *static_cast<at::Tensor*>(hs[k]));
        return c10::IValue(list);
      }
      c10::List<at::Tensor> list;
      for (int32_t k = 0; k < a.length; ++k) list.push_back(ert::unwrap(hs[k]));
      return c10::IValue(list);
    }
    case kString:
      return c10::IValue(std::string(static_cast<const char*>(a.p)));
    case kGenerator:
      if (a.p == nullptr) return c10::IValue();
      return c10::IValue(*static_cast<at::Generator*>(a.p));
    default:
      throw std::invalid_argument(op + ": unknown argument kind " + std::to_string(a.kind));
  }
}

void push_result(const c10::IValue& v, void** outs, int32_t cap, int32_t* n_out, double* scalar_out) {
  auto put = [&](const at::Tensor& t) {
    if (*n_out >= cap) throw std::runtime_error("operator returned more tensors than the caller expected");
    outs[(*n_out)++] = ert::wrap(t);
  };
  if (v.isTensor()) put(v.toTensor());
  else if (v.isTensorList()) for (const at::Tensor& t : v.toTensorVector()) put(t);
  else if (v.isTuple()) for (const auto& e : v.toTupleRef().elements()) push_result(e, outs, cap, n_out, scalar_out);
  else if (v.isDouble()) *scalar_out = v.toDouble();
  else if (v.isInt()) *scalar_out = static_cast<double>(v.toInt());
  else if (v.isBool()) *scalar_out = v.toBool() ? 1.0 : 0.0;
  else if (v.isNone()) {
  } else throw std::runtime_error("unsupported operator result type " + v.tagKind());
}

}  // namespace

// Resolves "aten::name" + overload to an operator handle owned by the caller (freed with ert_op_free).
ERT_EXPORT int ert_op_find(const char* name, const char* overload, void** out) {
  ERT_GUARD({
    auto handle = c10::Dispatcher::singleton().findSchemaOrThrow(name, overload);
    *out = new c10::OperatorHandle(handle);
  })
}

ERT_EXPORT int ert_op_schema(void* op, char** out) {
  ERT_GUARD({
    std::string s = c10::toString(static_cast<c10::OperatorHandle*>(op)->schema());
    char* buf = static_cast<char*>(std::malloc(s.size() + 1));
    std::memcpy(buf, s.c_str(), s.size() + 1);
    *out = buf;
  })
}

ERT_EXPORT int ert_op_call(void* op, const Arg* args, int32_t n_args, void** outs, int32_t cap, int32_t* n_out,
                           double* scalar_out) {
  ERT_GUARD({
    auto* handle = static_cast<c10::OperatorHandle*>(op);
    const c10::FunctionSchema& schema = handle->schema();
    const auto& formals = schema.arguments();
    if (static_cast<size_t>(n_args) > formals.size())
      throw std::invalid_argument(schema.name() + " takes " + std::to_string(formals.size()) + " arguments, got " +
                                  std::to_string(n_args));
    torch::jit::Stack stack;
    stack.reserve(formals.size());
    for (size_t k = 0; k < formals.size(); ++k) {
      if (k < static_cast<size_t>(n_args)) {
        stack.push_back(to_ivalue(args[k], formals[k], schema.name()));
      } else {
        if (!formals[k].default_value())
          throw std::invalid_argument(schema.name() + ": missing argument '" + formals[k].name() + "'");
        stack.push_back(*formals[k].default_value());
      }
    }
    handle->callBoxed(&stack);
    *n_out = 0;
    for (const auto& v : stack) push_result(v, outs, cap, n_out, scalar_out);
  })
}
ERT_EXPORT void ert_op_free(void* op) { delete static_cast<c10::OperatorHandle*>(op); }
