// Core exports: errors, tensor lifetime, creation from buffers, metadata, grad mode, generators.
#include "bridge.h"

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <cmath>
#include <cstring>
#include <sstream>

namespace ert {
std::atomic<int64_t> live_tensors{0};
namespace {
thread_local std::string last_error;
}
void set_error(const std::string& message) { last_error = message.empty() ? "native error" : message; }
}  // namespace ert

using ert::unwrap;
using ert::wrap;

ERT_EXPORT const char* ert_last_error() { return ert::last_error.c_str(); }
ERT_EXPORT void ert_clear_error() { ert::last_error.clear(); }
ERT_EXPORT int64_t ert_live_tensors() { return ert::live_tensors.load(); }

ERT_EXPORT void ert_free(void* h) {
  if (h == nullptr) return;
  ert::live_tensors.fetch_sub(1, std::memory_order_relaxed);
  delete static_cast<at::Tensor*>(h);
}

ERT_EXPORT void ert_free_string(char* s) { std::free(s); }

static char* dup_string(const std::string& s) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

ERT_EXPORT int ert_from_buffer(const void* data, const int64_t* shape, int32_t ndim, int32_t dtype,
                               int32_t requires_grad, void** out) {
  ERT_GUARD({
    std::vector<int64_t> sizes(shape, shape + ndim);
    auto options = at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype));
    at::Tensor t = at::empty(sizes, options);
    if (t.numel() > 0) std::memcpy(t.data_ptr(), data, t.numel() * t.element_size());
    if (requires_grad) t.set_requires_grad(true);
    *out = wrap(t);
  })
}

ERT_EXPORT int ert_copy_to_buffer(void* h, void* dst, int64_t nbytes) {
  ERT_GUARD({
    at::Tensor t = unwrap(h).detach().to(at::kCPU).contiguous();
    int64_t need = t.numel() * t.element_size();
    if (need != nbytes)
      throw std::invalid_argument("buffer holds " + std::to_string(nbytes) + " bytes, tensor needs " +
                                  std::to_string(need));
    if (need > 0) std::memcpy(dst, t.data_ptr(), need);
  })
}

ERT_EXPORT int ert_shape(void* h, int64_t* buf, int32_t cap, int32_t* ndim) {
  ERT_GUARD({
    const at::Tensor& t = unwrap(h);
    *ndim = static_cast<int32_t>(t.dim());
    for (int32_t i = 0; i < *ndim && i < cap; ++i) buf[i] = t.size(i);
  })
}

// Packs the cheap metadata into one call: dtype, device type, requires_grad, is_leaf, numel.
ERT_EXPORT int ert_meta(void* h, int32_t* dtype, int32_t* device, int32_t* requires_grad, int32_t* is_leaf,
                        int64_t* numel) {
  ERT_GUARD({
    const at::Tensor& t = unwrap(h);
    *dtype = static_cast<int32_t>(t.scalar_type());
    *device = static_cast<int32_t>(t.device().type());
    *requires_grad = t.requires_grad() ? 1 : 0;
    *is_leaf = t.is_leaf() ? 1 : 0;
    *numel = t.numel();
  })
}

ERT_EXPORT int ert_item(void* h, double* out) {
  ERT_GUARD({ *out = unwrap(h).item<double>(); })
}

ERT_EXPORT int ert_to_string(void* h, char** out) {
  ERT_GUARD({
    std::ostringstream os;
    os << unwrap(h);
    *out = dup_string(os.str());
  })
}

ERT_EXPORT int ert_set_requires_grad(void* h, int32_t value) {
  ERT_GUARD({ unwrap(h).set_requires_grad(value != 0); })
}

ERT_EXPORT int ert_grad(void* h, void** out) {
  ERT_GUARD({ *out = wrap(unwrap(h).grad()); })
}

ERT_EXPORT int ert_zero_grad(void* h, int32_t set_to_none) {
  ERT_GUARD({
    at::Tensor& t = unwrap(h);
    at::Tensor& g = t.mutable_grad();
    if (!g.defined()) return 0;
    if (set_to_none) g.reset();
    else g.zero_();
  })
}

ERT_EXPORT int ert_backward(void* h, void* gradient, int32_t retain_graph, int32_t create_graph) {
  ERT_GUARD({
    unwrap(h).backward(ert::unwrap_optional(gradient), retain_graph != 0 ? c10::optional<bool>(true) : c10::nullopt,
                       create_graph != 0);
  })
}

ERT_EXPORT int ert_autograd_grad(void** outputs, int32_t n_out, void** inputs, int32_t n_in, void** grad_outputs,
                                 int32_t retain_graph, int32_t create_graph, int32_t allow_unused, void** results) {
  ERT_GUARD({
    std::vector<at::Tensor> outs, ins, gouts;
    for (int32_t i = 0; i < n_out; ++i) outs.push_back(unwrap(outputs[i]));
    for (int32_t i = 0; i < n_in; ++i) ins.push_back(unwrap(inputs[i]));
    if (grad_outputs != nullptr)
      for (int32_t i = 0; i < n_out; ++i) gouts.push_back(ert::unwrap_optional(grad_outputs[i]));
    auto grads = torch::autograd::grad(outs, ins, gouts,
                                       retain_graph < 0 ? c10::nullopt : c10::optional<bool>(retain_graph != 0),
                                       create_graph != 0, allow_unused != 0);
    for (int32_t i = 0; i < n_in; ++i) results[i] = wrap(grads[i]);
  })
}

ERT_EXPORT int32_t ert_is_grad_enabled() { return at::GradMode::is_enabled() ? 1 : 0; }
ERT_EXPORT void ert_set_grad_enabled(int32_t enabled) { at::GradMode::set_enabled(enabled != 0); }

ERT_EXPORT int ert_enter_dual_level(int64_t* level) {
  ERT_GUARD({ *level = static_cast<int64_t>(torch::autograd::forward_ad::enter_dual_level()); })
}
ERT_EXPORT int ert_exit_dual_level(int64_t level) {
  ERT_GUARD({ torch::autograd::forward_ad::exit_dual_level(static_cast<uint64_t>(level)); })
}

ERT_EXPORT int ert_generator_new(uint64_t seed, void** out) {
  ERT_GUARD({ *out = new at::Generator(at::detail::createCPUGenerator(seed)); })
}
ERT_EXPORT void ert_generator_free(void* g) { delete static_cast<at::Generator*>(g); }
ERT_EXPORT int ert_generator_set_seed(void* g, uint64_t seed) {
  ERT_GUARD({
    auto* gen = static_cast<at::Generator*>(g);
    std::lock_guard<std::mutex> lock(gen->mutex());
    gen->set_current_seed(seed);
  })
}
ERT_EXPORT int ert_manual_seed(uint64_t seed) {
  ERT_GUARD({
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_current_seed(seed);
  })
}

ERT_EXPORT int32_t ert_get_num_threads() { return at::get_num_threads(); }
ERT_EXPORT void ert_set_num_threads(int32_t n) { at::set_num_threads(n); }

// Hot elementwise ops get typed exports: the boxed dispatcher costs a few hundred ns per call,
// which matters for tiny tensors (see benchmarks/RESULTS.md).
// alpha travels as a double; a whole-number alpha becomes an integral Scalar so int64 tensors accept it
// (libtorch rejects a floating alpha for integral inputs).
static c10::Scalar alpha_scalar(double alpha) {
  if (std::abs(alpha) < 9.0e15 && alpha == std::floor(alpha)) return c10::Scalar(static_cast<int64_t>(alpha));
  return c10::Scalar(alpha);
}
ERT_EXPORT int ert_add(void* a, void* b, double alpha, void** out) {
  ERT_GUARD({ *out = wrap(at::add(unwrap(a), unwrap(b), alpha_scalar(alpha))); })
}
ERT_EXPORT int ert_sub(void* a, void* b, double alpha, void** out) {
  ERT_GUARD({ *out = wrap(at::sub(unwrap(a), unwrap(b), alpha_scalar(alpha))); })
}
ERT_EXPORT int ert_mul(void* a, void* b, void** out) { ERT_GUARD({ *out = wrap(at::mul(unwrap(a), unwrap(b))); }) }
ERT_EXPORT int ert_div(void* a, void* b, void** out) { ERT_GUARD({ *out = wrap(at::div(unwrap(a), unwrap(b))); }) }
ERT_EXPORT int ert_add_scalar(void* a, double s, void** out) {
  ERT_GUARD({ *out = wrap(at::add(unwrap(a), s)); })
}
ERT_EXPORT int ert_mul_scalar(void* a, double s, void** out) {
  ERT_GUARD({ *out = wrap(at::mul(unwrap(a), s)); })
}

// Baselines for the overhead benchmark: the same ops looped inside the bridge.
ERT_EXPORT int ert_bench_add_loop(void* a, void* b, int64_t iterations) {
  ERT_GUARD({
    for (int64_t i = 0; i < iterations; ++i) {
      at::Tensor* r = new at::Tensor(at::add(unwrap(a), unwrap(b)));
      delete r;
    }
  })
}
ERT_EXPORT int ert_bench_conv2d_loop(void* x, void* w, void* b, int64_t iterations) {
  ERT_GUARD({
    for (int64_t i = 0; i < iterations; ++i) {
      at::Tensor* r = new at::Tensor(at::conv2d(unwrap(x), unwrap(w), ert::unwrap_optional(b), {1, 1}, {1, 1}));
      delete r;
    }
  })
}
