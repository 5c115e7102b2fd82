// The version line of nn --version; NN_GIT_REVISION and NN_BLAS_NAME come from cmake/version.cmake.
#include "nn/version.hpp"

#ifndef NN_GIT_REVISION
#define NN_GIT_REVISION "unknown"
#endif
#ifndef NN_BLAS_NAME
#define NN_BLAS_NAME "unknown"
#endif

namespace nn {

const char* version() { return NN_VERSION_STRING; }

std::string version_line() {
  return std::string("nn ") + NN_VERSION_STRING + " (git " + NN_GIT_REVISION + ", BLAS: " + NN_BLAS_NAME + ")";
}

}  // namespace nn
