#pragma once
// A non-owning reference to a callable, for callbacks on paths that must not allocate (a training
// step hands layer-specific work to the GEMM's team members). std::function may allocate and
// std::function_ref is C++26. The callable must outlive the reference: pass a lambda directly as
// the argument, never store a FunctionRef built from a temporary.
#include <memory>
#include <type_traits>
#include <utility>

namespace actlab {

template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  FunctionRef() = default;  // empty: check with explicit operator bool before calling
  template <typename F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> &&
           std::is_invocable_r_v<R, F&, Args...>)
      FunctionRef(F&& f)  // NOLINT(google-explicit-constructor): converts like std::function
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }
  explicit operator bool() const { return call_ != nullptr; }

 private:
  void* object_ = nullptr;
  R (*call_)(void*, Args...) = nullptr;
};

}  // namespace actlab
