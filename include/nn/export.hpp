/// @file
/// NN_API: marks the public API. libnn.so is built with hidden symbols by default
/// (-fvisibility=hidden), so only the classes and functions marked NN_API are exported.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define NN_API __attribute__((visibility("default")))
#else
#define NN_API
#endif
