# nn/version.hpp, generated into the build tree (and installed): the version macros. The git
# revision and the BLAS in use reach src/version.cpp alone, so a new commit recompiles one file.
# The revision is read when CMake configures.
set(NN_GIT_REVISION "unknown")
find_package(Git QUIET)
if(Git_FOUND AND EXISTS ${PROJECT_SOURCE_DIR}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty --abbrev=12
                  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                  OUTPUT_VARIABLE nn_git_describe OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
                  RESULT_VARIABLE nn_git_rc)
  if(nn_git_rc EQUAL 0 AND nn_git_describe)
    set(NN_GIT_REVISION ${nn_git_describe})
  endif()
endif()
# NN_CUDA: defined in nn/version.hpp when the CUDA backend is built, so that a program using nn
# (installed, or through add_subdirectory) can test it at compile time.
if(nn_cuda)
  set(NN_CUDA_DEFINE "/// Defined (to 1) because this nn was built with its CUDA backend (the CMake option NN_CUDA);\n/// nn::cuda::built() answers the same at run time.\n#define NN_CUDA 1")
else()
  set(NN_CUDA_DEFINE "// NN_CUDA is not defined: this nn was built without its CUDA backend (nn::cuda::built() is false).")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/version.hpp.in ${PROJECT_BINARY_DIR}/include/nn/version.hpp @ONLY)
set_property(SOURCE ${PROJECT_SOURCE_DIR}/src/version.cpp APPEND PROPERTY COMPILE_DEFINITIONS
             NN_GIT_REVISION="${NN_GIT_REVISION}" NN_BLAS_NAME="${NN_BLAS_NAME}")
