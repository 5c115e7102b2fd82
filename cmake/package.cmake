# Installation: the library (component lib), the public headers, nnConfig.cmake and nn.pc
# (component dev), the nn command (component cli); and CPack's Debian packages of the three:
# libnn0 (the shared library), libnn-dev, nn. Included by the top-level CMakeLists.txt when NN_INSTALL.
include(CMakePackageConfigHelpers)

set(NN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/nn)
set(NN_DESCRIPTION "Neural networks in C++: explicit forward/backward modules, training, model files")

# Installed programs find the installed shared library beside them ($ORIGIN/../lib...), and keep
# the OpenMP build of OpenBLAS they were linked with (its folder is not on the loader's path).
file(RELATIVE_PATH nn_bin_to_lib ${CMAKE_INSTALL_FULL_BINDIR} ${CMAKE_INSTALL_FULL_LIBDIR})
set_target_properties(nnlib PROPERTIES INSTALL_RPATH_USE_LINK_PATH ON)
if(TARGET nn-cli)
  set_target_properties(nn-cli PROPERTIES INSTALL_RPATH "$ORIGIN/${nn_bin_to_lib}" INSTALL_RPATH_USE_LINK_PATH ON)
endif()

install(TARGETS nnlib EXPORT nnTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT lib NAMELINK_COMPONENT dev
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT lib
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The kernels' own headers (nn/ops/ but for the GEMM, the element-wise kernels and the window
# arithmetic that public layers use) are internal: not installed.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/nn DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
        FILES_MATCHING PATTERN "*.hpp"
        PATTERN "ops/batchnorm.hpp" EXCLUDE PATTERN "ops/conv_direct.hpp" EXCLUDE
        PATTERN "ops/im2col.hpp" EXCLUDE PATTERN "ops/pool.hpp" EXCLUDE
        # The file guards' helpers (bounded reads, depth-checked JSON, size limits, the streaming
        # safetensors header) serve nn's own readers and tests, not users.
        PATTERN "io/json.hpp" EXCLUDE PATTERN "io/input_file.hpp" EXCLUDE PATTERN "io/limits.hpp" EXCLUDE
        PATTERN "io/safetensors_header.hpp" EXCLUDE)
install(FILES ${PROJECT_BINARY_DIR}/include/nn/version.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/nn COMPONENT dev)
if(TARGET nn-cli)
  install(TARGETS nn-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cli)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT dev)

# find_package(nn): nn::nn with its dependencies found again (cmake/nnConfig.cmake.in).
set(NN_SHARED ${BUILD_SHARED_LIBS})
if(NOT NN_SHARED)
  set(NN_SHARED OFF)
endif()
if(NOT NN_MPI)
  set(NN_MPI OFF)
endif()
set(NN_WITH_CUDA ${nn_cuda})
set(NN_WITH_BLAS OFF)
if(TARGET BLAS::BLAS)
  set(NN_WITH_BLAS ON)
endif()
install(EXPORT nnTargets NAMESPACE nn:: FILE nnTargets.cmake DESTINATION ${NN_CMAKE_DIR} COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/nnConfig.cmake.in ${PROJECT_BINARY_DIR}/nnConfig.cmake
                              INSTALL_DESTINATION ${NN_CMAKE_DIR})
# 0.x: a new minor version may break the API, so only the same minor version is compatible.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(nn_compat SameMinorVersion)
else()
  set(nn_compat SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/nnConfigVersion.cmake COMPATIBILITY ${nn_compat})
install(FILES ${PROJECT_BINARY_DIR}/nnConfig.cmake ${PROJECT_BINARY_DIR}/nnConfigVersion.cmake
        DESTINATION ${NN_CMAKE_DIR} COMPONENT dev)

# pkg-config: nn.pc, relative to its own folder so that the installed tree can move.
file(RELATIVE_PATH NN_PC_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
set(NN_PC_LIBS_PRIVATE "-lz -lpng16 -lm")
if(NN_HAVE_ONNX)
  string(PREPEND NN_PC_LIBS_PRIVATE "-lprotobuf ")
endif()
if(NN_WITH_BLAS)
  string(JOIN " " NN_PC_LIBS_PRIVATE ${BLAS_LIBRARIES} ${NN_PC_LIBS_PRIVATE})
endif()
if(NN_MPI)
  string(JOIN " " NN_PC_LIBS_PRIVATE ${MPI_CXX_LIBRARIES} ${NN_PC_LIBS_PRIVATE})
endif()
if(nn_cuda)
  string(JOIN " " NN_PC_LIBS_PRIVATE "-L${CUDAToolkit_LIBRARY_DIR} -lcublas -lcudart" ${NN_PC_LIBS_PRIVATE})
endif()
string(JOIN " " NN_PC_LIBS_PRIVATE ${OpenMP_CXX_FLAGS} ${NN_PC_LIBS_PRIVATE})
configure_file(${PROJECT_SOURCE_DIR}/cmake/nn.pc.in ${PROJECT_BINARY_DIR}/nn.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/nn.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# ---- CPack: cpack -G DEB in the build folder -----------------------------------
# Only for nn's own build: a parent project that installs nn with it keeps its own CPack settings.
if(NOT PROJECT_IS_TOP_LEVEL)
  return()
endif()
set(CPACK_PACKAGE_NAME nn)
set(CPACK_PACKAGE_VENDOR "the nn authors")
set(CPACK_PACKAGE_CONTACT "nn maintainers <nn@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY ${NN_DESCRIPTION})
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
# Shared-library dependencies of each package from dpkg-shlibdeps (libgomp1, libopenblas0, zlib1g, libpng16-16...).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
# The nn command links libnn.so.0 of the lib package: dpkg-shlibdeps finds it in the build folder.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR})
set(CPACK_DEBIAN_LIB_PACKAGE_NAME libnn${PROJECT_VERSION_MAJOR})
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libnn-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_CLI_PACKAGE_NAME nn)
# The headers include nlohmann JSON; find_package(nn) finds OpenMP, zlib, libpng and OpenBLAS again.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "nlohmann-json3-dev (>= 3.10), libopenblas-openmp-dev, zlib1g-dev, libpng-dev, libprotobuf-dev, libgomp1")
set(CPACK_COMPONENT_LIB_DESCRIPTION "nn: the shared library")
set(CPACK_COMPONENT_DEV_DESCRIPTION "nn: headers, CMake package and pkg-config file")
set(CPACK_COMPONENT_CLI_DESCRIPTION "nn: the command (train, eval, predict, info, report, export, import)")
set(CPACK_COMPONENT_DEV_DEPENDS lib)
set(CPACK_COMPONENT_CLI_DEPENDS lib)
set(CPACK_COMPONENTS_ALL lib dev cli)
include(CPack)
