#include "nn/report/image.hpp"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstring>

#include "nn/error.hpp"
#include "nn/io/atomic_file.hpp"

namespace nn::report {

Image::Image(int64_t w, int64_t h, Rgb fill) : width(w), height(h) {
  NN_CHECK(w > 0 && h > 0 && w <= 65535 && h <= 65535, "Image: expected a size in 1..65535, found ", w, "x", h);
  rgb.resize(static_cast<size_t>(w * h * 3));
  for (size_t i = 0; i < rgb.size(); i += 3) {
    rgb[i] = fill.r;
    rgb[i + 1] = fill.g;
    rgb[i + 2] = fill.b;
  }
}

Rgb Image::at(int64_t x, int64_t y) const {
  const auto i = static_cast<size_t>((y * width + x) * 3);
  return {rgb[i], rgb[i + 1], rgb[i + 2]};
}

void Image::set(int64_t x, int64_t y, Rgb c) {
  if (x < 0 || y < 0 || x >= width || y >= height) return;
  const auto i = static_cast<size_t>((y * width + x) * 3);
  rgb[i] = c.r;
  rgb[i + 1] = c.g;
  rgb[i + 2] = c.b;
}

void Image::blend(int64_t x, int64_t y, Rgb c, double alpha) {
  if (x < 0 || y < 0 || x >= width || y >= height || !(alpha > 0.0)) return;
  set(x, y, alpha >= 1.0 ? c : mix(at(x, y), c, alpha));
}

void Image::fill_rect(int64_t x0, int64_t y0, int64_t x1, int64_t y1, Rgb c) {
  x0 = std::max<int64_t>(x0, 0);
  y0 = std::max<int64_t>(y0, 0);
  x1 = std::min(x1, width);
  y1 = std::min(y1, height);
  for (int64_t y = y0; y < y1; ++y)
    for (int64_t x = x0; x < x1; ++x) set(x, y, c);
}

void Image::frame(int64_t x0, int64_t y0, int64_t x1, int64_t y1, int64_t t, Rgb c) {
  fill_rect(x0, y0, x1, y0 + t, c);
  fill_rect(x0, y1 - t, x1, y1, c);
  fill_rect(x0, y0, x0 + t, y1, c);
  fill_rect(x1 - t, y0, x1, y1, c);
}

void Image::circle(double cx, double cy, double r, Rgb fill, Rgb edge, double edge_width) {
  const double outer = r + 0.5;
  const auto x0 = static_cast<int64_t>(std::floor(cx - outer - 1)), x1 = static_cast<int64_t>(std::ceil(cx + outer + 1));
  const auto y0 = static_cast<int64_t>(std::floor(cy - outer - 1)), y1 = static_cast<int64_t>(std::ceil(cy + outer + 1));
  const double inner = std::max(0.0, r - edge_width);
  for (int64_t y = y0; y <= y1; ++y) {
    for (int64_t x = x0; x <= x1; ++x) {
      const double d = std::hypot(static_cast<double>(x) + 0.5 - cx, static_cast<double>(y) + 0.5 - cy);
      // Coverage of the whole disc and of its inside, with a one-pixel linear ramp.
      const double disc = std::clamp(r + 0.5 - d, 0.0, 1.0);
      if (disc <= 0.0) continue;
      const double in = std::clamp(inner + 0.5 - d, 0.0, 1.0);
      blend(x, y, edge, disc);
      blend(x, y, fill, in);
    }
  }
}

namespace {

void append_bytes(png_structp png, png_bytep data, png_size_t size) {
  auto* out = static_cast<std::string*>(png_get_io_ptr(png));
  out->append(reinterpret_cast<const char*>(data), size);
}
void no_flush(png_structp) {}
[[noreturn]] void on_png_error(png_structp png, png_const_charp message) {
  auto* msg = static_cast<std::string*>(png_get_error_ptr(png));
  if (msg) *msg = message;
  png_longjmp(png, 1);
}
void on_png_warning(png_structp, png_const_charp) {}

}  // namespace

std::string encode_png(const Image& image) {
  NN_CHECK(image.width > 0 && image.height > 0 && image.rgb.size() == static_cast<size_t>(image.width * image.height * 3),
           "encode_png: expected ", image.width, "x", image.height, " RGB pixels, found ", image.rgb.size(), " bytes");
  std::string out, error;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &error, on_png_error, on_png_warning);
  NN_CHECK(png != nullptr, "encode_png: libpng could not start");
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    fail("encode_png: libpng could not start");
  }
  std::vector<png_bytep> rows(static_cast<size_t>(image.height));
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    fail("encode_png: libpng failed: ", error);
  }
  png_set_write_fn(png, &out, append_bytes, no_flush);
  png_set_IHDR(png, info, static_cast<png_uint_32>(image.width), static_cast<png_uint_32>(image.height), 8,
               PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 9);
  for (int64_t y = 0; y < image.height; ++y)
    rows[static_cast<size_t>(y)] = const_cast<png_bytep>(image.rgb.data() + y * image.width * 3);
  png_write_info(png, info);
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

Image decode_png(std::string_view bytes, std::string_view what) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, bytes.data(), bytes.size()))
    fail(what, ": not a readable PNG (", img.message, ")");
  img.format = PNG_FORMAT_RGB;
  NN_CHECK(img.width > 0 && img.height > 0 && img.width <= 65535 && img.height <= 65535, what,
           ": expected a size in 1..65535, found ", img.width, "x", img.height);
  Image out(img.width, img.height);
  png_color white{255, 255, 255};
  if (!png_image_finish_read(&img, &white, out.rgb.data(), 0, nullptr)) {
    std::string message = img.message;
    png_image_free(&img);
    fail(what, ": bad PNG data (", message, ")");
  }
  return out;
}

void write_png(const std::filesystem::path& path, const Image& image) { io::write_file_atomic(path, encode_png(image)); }

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string data_uri(std::string_view mime, std::string_view bytes) {
  std::string out = "data:";
  out += mime;
  out += ";base64,";
  out += base64(bytes);
  return out;
}

}  // namespace nn::report
