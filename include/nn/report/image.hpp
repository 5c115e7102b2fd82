/// @file
/// @brief nn::report::Image, an 8-bit RGB raster, with PNG encoding and decoding (libpng) and base64
/// data URIs so that pictures can live inside an HTML or SVG file.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "nn/report/color.hpp"

namespace nn::report {

/// An 8-bit RGB raster with the few drawing operations the report needs (filled rectangles,
/// anti-aliased circles with an edge). Coordinates are pixels, (0, 0) at the top left.
struct NN_API Image {
  /// @var width
  /// The width, in pixels.
  /// @var height
  /// The height, in pixels.
  int64_t width = 0, height = 0;
  std::vector<uint8_t> rgb;  ///< row-major, 3 bytes per pixel, top row first

  Image() = default;  ///< an empty 0 x 0 image
  /// A w x h image filled with `fill` (white by default).
  Image(int64_t w, int64_t h, Rgb fill = {255, 255, 255});

  /// The pixel at (x, y); x in [0, width), y in [0, height).
  Rgb at(int64_t x, int64_t y) const;
  void set(int64_t x, int64_t y, Rgb c);  ///< ignored outside the image
  /// Blends c over pixel (x, y) with opacity alpha in [0, 1]; ignored outside the image.
  void blend(int64_t x, int64_t y, Rgb c, double alpha);
  /// Fills [x0, x1) x [y0, y1), clipped to the image.
  void fill_rect(int64_t x0, int64_t y0, int64_t x1, int64_t y1, Rgb c);
  /// The outline of [x0, x1) x [y0, y1), `thickness` pixels wide, inside that box.
  void frame(int64_t x0, int64_t y0, int64_t x1, int64_t y1, int64_t thickness, Rgb c);
  /// A disc of radius r centred on (cx, cy) (pixel centres lie at integer + 0.5) filled with `fill`
  /// and ringed by `edge` of width edge_width, both anti-aliased.
  void circle(double cx, double cy, double r, Rgb fill, Rgb edge, double edge_width = 1.0);
};

/// The PNG file of an image (8-bit RGB, deterministic bytes). nn::Error if libpng fails.
NN_API std::string encode_png(const Image& image);
/// Decodes any PNG libpng reads to 8-bit RGB (alpha composited over white); nn::Error naming
/// `what` for bad data.
NN_API Image decode_png(std::string_view png, std::string_view what = "PNG data");
/// Writes the PNG atomically. @throws nn::Error when encoding or the write fails.
NN_API void write_png(const std::filesystem::path& path, const Image& image);

/// Standard base64 (RFC 4648, padded).
NN_API std::string base64(std::string_view bytes);
/// "data:<mime>;base64,...".
NN_API std::string data_uri(std::string_view mime, std::string_view bytes);

}  // namespace nn::report
