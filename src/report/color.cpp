#include "nn/report/color.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace nn::report {

std::string hex(Rgb c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c.r, c.g, c.b);
  return buf;
}

Rgb viridis(double t) {
  // matplotlib's viridis at t = 0, 1/8, ..., 1; linear in between.
  static constexpr std::array<Rgb, 9> kStops = {{{68, 1, 84},
                                                  {72, 40, 120},
                                                  {62, 73, 137},
                                                  {49, 104, 142},
                                                  {38, 130, 142},
                                                  {31, 158, 137},
                                                  {53, 183, 121},
                                                  {110, 206, 88},
                                                  {253, 231, 37}}};
  if (!(t > 0.0)) return kStops.front();
  if (t >= 1.0) return kStops.back();
  const double pos = t * 8.0;
  const auto i = static_cast<size_t>(pos);
  return mix(kStops[i], kStops[std::min<size_t>(i + 1, 8)], pos - static_cast<double>(i));
}

Rgb category_color(int64_t i) {
  static constexpr std::array<Rgb, 8> kOkabeIto = {{{230, 159, 0},
                                                    {86, 180, 233},
                                                    {0, 158, 115},
                                                    {240, 228, 66},
                                                    {0, 114, 178},
                                                    {213, 94, 0},
                                                    {204, 121, 167},
                                                    {153, 153, 153}}};
  if (i < 0) i = 0;
  if (i < 8) return kOkabeIto[static_cast<size_t>(i)];
  // Beyond eight classes: spread along viridis with a stride that keeps neighbours apart.
  const int64_t k = i - 8;
  return viridis(std::fmod(0.1 + 0.382 * static_cast<double>(k), 1.0));
}

Rgb mix(Rgb a, Rgb b, double t) {
  auto ch = [t](uint8_t x, uint8_t y) {
    const double v = (1.0 - t) * x + t * y;
    return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
  };
  return {ch(a.r, b.r), ch(a.g, b.g), ch(a.b, b.b)};
}

double luminance(Rgb c) {
  auto lin = [](uint8_t v) {
    const double s = v / 255.0;
    return s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
}

Rgb text_color_on(Rgb background) {
  // Contrast ratio against black (L + 0.05) / 0.05 and white 1.05 / (L + 0.05): pick the larger.
  const double l = luminance(background);
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? Rgb{0, 0, 0} : Rgb{255, 255, 255};
}

}  // namespace nn::report
