#pragma once
// Whether this test program is built with AddressSanitizer, which changes what some tests can see:
// it reserves terabytes of address space, keeps its own shadow memory and serves some operator news
// itself.

namespace actlab::test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

}  // namespace actlab::test
