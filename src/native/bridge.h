// Shared plumbing of the native bridge: export macro, error capture, handle helpers.
// Every export returns int: 0 on success, 1 when an exception was caught; the message is then
// kept in a thread-local string that the managed side reads with ert_last_error and clears.
#pragma once
#include <ATen/ATen.h>
#include <atomic>
#include <cstdint>
#include <string>

#define ERT_EXPORT extern "C" __attribute__((visibility("default")))

namespace ert {
void set_error(const std::string& message);
extern std::atomic<int64_t> live_tensors;

inline void* wrap(at::Tensor t) {
  if (!t.defined()) return nullptr;
  live_tensors.fetch_add(1, std::memory_order_relaxed);
  return new at::Tensor(std::move(t));
}
inline at::Tensor& unwrap(void* h) {
  if (h == nullptr) throw std::invalid_argument("a tensor argument is null (undefined or disposed tensor)");
  return *static_cast<at::Tensor*>(h);
}
inline at::Tensor unwrap_optional(void* h) {
  return h == nullptr ? at::Tensor() : *static_cast<at::Tensor*>(h);
}
}  // namespace ert

// Wraps a body so that no C++ exception crosses the C boundary.
#define ERT_GUARD(...)                                                   \
  try {                                                                   \
    __VA_ARGS__;                                                             \
    return 0;                                                             \
  } catch (const c10::Error& e) {                                         \
    ert::set_error(e.what_without_backtrace());                           \
  } catch (const std::exception& e) {                                     \
    ert::set_error(e.what());                                             \
  } catch (...) {                                                         \
    ert::set_error("unknown native exception");                           \
  }                                                                       \
  return 1;
