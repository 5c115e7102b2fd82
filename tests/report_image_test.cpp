// Report colours (viridis, readable text) and images: PNG round trip, bad PNGs, drawing, base64.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "nn/classic/adaline.hpp"
#include "nn/classic/perceptron.hpp"
#include "nn/data/synthetic.hpp"
#include "nn/error.hpp"
#include "nn/report/chart.hpp"
#include "nn/report/color.hpp"
#include "nn/report/confusion.hpp"
#include "nn/report/curves.hpp"
#include "nn/report/decision_regions.hpp"
#include "nn/report/image.hpp"
#include "nn/report/image_grid.hpp"
#include "nn/report/metrics_file.hpp"
#include "nn/report/report.hpp"

#include "support/support.hpp"

namespace {

using nn::test::error_of;

namespace report = nn::report;

// ---- colours ------------------------------------------------------------------------------------

TEST(ReportColor, ViridisEndsAndReadableText) {
  EXPECT_EQ(report::hex(report::viridis(0.0)), "#440154");
  EXPECT_EQ(report::hex(report::viridis(1.0)), "#fde725");
  EXPECT_EQ(report::viridis(-1.0), report::viridis(0.0));
  EXPECT_EQ(report::viridis(std::nan("")), report::viridis(0.0));
  // Luminance rises along the map (readable in greyscale).
  for (int i = 0; i < 20; ++i)
    EXPECT_LT(report::luminance(report::viridis(i / 20.0)), report::luminance(report::viridis((i + 1) / 20.0)));
  EXPECT_EQ(report::text_color_on(report::viridis(0.0)), (report::Rgb{255, 255, 255}));
  EXPECT_EQ(report::text_color_on(report::viridis(1.0)), (report::Rgb{0, 0, 0}));
  std::set<std::string> seen;
  for (int i = 0; i < 12; ++i) seen.insert(report::hex(report::category_color(i)));
  EXPECT_EQ(seen.size(), 12u);
  EXPECT_EQ(report::hex(report::category_color(0)), "#e69f00");  // Okabe-Ito orange
}

// ---- PNG and base64 -----------------------------------------------------------------------------

TEST(ReportImage, PngRoundTripIsExactAndDeterministic) {
  report::Image img(37, 23);
  for (int64_t y = 0; y < img.height; ++y)
    for (int64_t x = 0; x < img.width; ++x)
      img.set(x, y, {static_cast<uint8_t>(x * 7), static_cast<uint8_t>(y * 11), static_cast<uint8_t>((x + y) * 3)});
  img.circle(18, 11, 6, {255, 0, 0}, {0, 0, 0}, 1.5);
  const std::string png = report::encode_png(img);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(report::encode_png(img), png);
  const report::Image back = report::decode_png(png);
  EXPECT_EQ(back.width, 37);
  EXPECT_EQ(back.height, 23);
  EXPECT_EQ(back.rgb, img.rgb);
}

TEST(ReportImage, BadPngIsAnErrorNamingIt) {
  EXPECT_HAS(error_of([&] { report::decode_png("not a png at all", "broken.png"); }), "broken.png");
  std::string truncated = report::encode_png(report::Image(8, 8, {1, 2, 3}));
  truncated.resize(truncated.size() / 2);
  EXPECT_THROW(report::decode_png(truncated), nn::Error);
  EXPECT_THROW(report::Image(0, 5), nn::Error);
}

TEST(ReportImage, CircleDrawsFillAndEdge) {
  report::Image img(40, 40);
  img.circle(20, 20, 8, {0, 200, 0}, {10, 10, 10}, 2);
  EXPECT_EQ(img.at(20, 20), (report::Rgb{0, 200, 0}));   // centre: fill
  EXPECT_EQ(img.at(13, 20), (report::Rgb{10, 10, 10}));  // on the ring
  EXPECT_EQ(img.at(2, 2), (report::Rgb{255, 255, 255}));  // outside
}

TEST(ReportImage, Base64MatchesRfc4648) {
  EXPECT_EQ(report::base64(""), "");
  EXPECT_EQ(report::base64("f"), "Zg==");
  EXPECT_EQ(report::base64("fo"), "Zm8=");
  EXPECT_EQ(report::base64("foo"), "Zm9v");
  EXPECT_EQ(report::base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(report::base64(std::string("\xff\x00\x10", 3)), "/wAQ");
  EXPECT_EQ(report::data_uri("image/png", "foo"), "data:image/png;base64,Zm9v");
}

}  // namespace
