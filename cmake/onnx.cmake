# ONNX support (io/onnx): the ONNX schema compiled by protoc and linked with libprotobuf.
# NN_ONNX=ON (the default) enables it when protobuf and an onnx.proto are found; otherwise the
# library builds without it and nn::io::export_onnx / load_onnx throw nn::Error saying so.
set(NN_HAVE_ONNX OFF)
if(NN_ONNX)
  find_package(Protobuf)
  find_file(NN_ONNX_PROTO onnx.proto PATHS /usr/include/onnx ${PROJECT_SOURCE_DIR}/cmake/onnx NO_DEFAULT_PATH)
  if(Protobuf_FOUND AND Protobuf_PROTOC_EXECUTABLE AND NN_ONNX_PROTO)
    set(NN_HAVE_ONNX ON)
  else()
    message(WARNING "nn: ONNX support off (install libprotobuf-dev, protobuf-compiler and libonnx-dev)")
  endif()
endif()
if(NN_HAVE_ONNX)
  # The schema is copied under a private name (nn_onnx.proto, package onnx) so that its generated
  # header never collides with the onnx headers of an installed libonnx.
  set(nn_onnx_dir ${PROJECT_BINARY_DIR}/onnx_proto)
  file(MAKE_DIRECTORY ${nn_onnx_dir})
  add_custom_command(
    OUTPUT ${nn_onnx_dir}/nn_onnx.pb.cc ${nn_onnx_dir}/nn_onnx.pb.h
    COMMAND ${CMAKE_COMMAND} -E copy ${NN_ONNX_PROTO} ${nn_onnx_dir}/nn_onnx.proto
    COMMAND ${Protobuf_PROTOC_EXECUTABLE} --cpp_out=${nn_onnx_dir} -I${nn_onnx_dir} ${nn_onnx_dir}/nn_onnx.proto
    DEPENDS ${NN_ONNX_PROTO}
    COMMENT "protoc: the ONNX schema (${NN_ONNX_PROTO})"
    VERBATIM)
  add_library(nn_onnx_proto OBJECT ${nn_onnx_dir}/nn_onnx.pb.cc)
  set_target_properties(nn_onnx_proto PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_include_directories(nn_onnx_proto SYSTEM PUBLIC ${nn_onnx_dir} ${Protobuf_INCLUDE_DIRS})
  target_sources(nnlib PRIVATE $<TARGET_OBJECTS:nn_onnx_proto>)
  target_include_directories(nnlib SYSTEM PRIVATE ${nn_onnx_dir} ${Protobuf_INCLUDE_DIRS})
  target_compile_definitions(nnlib PRIVATE NN_HAVE_ONNX=1)
  target_link_libraries(nnlib PRIVATE protobuf::libprotobuf)
  add_dependencies(nnlib nn_onnx_proto)
  message(STATUS "nn: ONNX import/export with protobuf ${Protobuf_VERSION} (${NN_ONNX_PROTO})")
endif()
