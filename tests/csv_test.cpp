// The CSV reader: headers, label columns (by name or index, numbers or names), delimiters and
// quotes, regression targets, and the errors that name the line and column.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "nn/data/csv.hpp"
#include "nn/error.hpp"

#include "support/support.hpp"

namespace {

using nn::data::Dataset;
using nn::test::error_of;
using nn::test::TempDir;
using nn::test::write_file;
// ---- CSV ---------------------------------------------------------------------------------------

TEST(Csv, HeaderAndTextLabelsInOrderOfFirstAppearance) {
  TempDir dir;
  write_file(dir / "iris.csv",
              "sepal_length,sepal_width,species\n"
              "5.1,3.5,setosa\n"
              "7.0,3.2,versicolor\n"
              "6.3,3.3,virginica\n"
              "4.9,3.0,setosa\n");
  const Dataset d = nn::data::read_csv(dir / "iris.csv");
  EXPECT_EQ(d.size(), 4);
  EXPECT_EQ(d.sample_shape(), (nn::Shape{2}));
  EXPECT_EQ(d.num_classes(), 3);
  EXPECT_EQ(d.labels(), (std::vector<int32_t>{0, 1, 2, 0}));
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
  EXPECT_FLOAT_EQ(d.feature(1, 0), 7.0f);
  EXPECT_FLOAT_EQ(d.feature(3, 1), 3.0f);
  EXPECT_EQ(d.name, "iris");
}

TEST(Csv, NoHeaderIntegerLabelsCrlfWhitespaceQuotesAndBlankLines) {
  TempDir dir;
  write_file(dir / "d.csv", " 1.5 , -2 , 1\r\n\r\n3e-1,\"4\",0\r\n+7,  8 ,2\r\n\r\n");
  const Dataset d = nn::data::read_csv(dir / "d.csv");
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.labels(), (std::vector<int32_t>{1, 0, 2}));
  EXPECT_TRUE(d.class_names.empty());
  EXPECT_FLOAT_EQ(d.feature(0, 0), 1.5f);
  EXPECT_FLOAT_EQ(d.feature(0, 1), -2.0f);
  EXPECT_FLOAT_EQ(d.feature(1, 0), 0.3f);
  EXPECT_FLOAT_EQ(d.feature(1, 1), 4.0f);
  EXPECT_FLOAT_EQ(d.feature(2, 0), 7.0f);
}

TEST(Csv, TextLabelsWithoutHeaderAreNotTakenForOne) {
  TempDir dir;
  write_file(dir / "d.csv", "5.1,3.5,Iris-setosa\n7.0,3.2,Iris-versicolor\n");
  const Dataset d = nn::data::read_csv(dir / "d.csv");
  EXPECT_EQ(d.size(), 2);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"Iris-setosa", "Iris-versicolor"}));
}

TEST(Csv, LabelColumnByNameOrIndexAndOtherDelimiter) {
  TempDir dir;
  write_file(dir / "d.csv", "y;a;b\n1;10;20\n0;11;21\n");
  nn::data::CsvOptions by_name{.label_column = "y", .delimiter = ';'};
  const Dataset a = nn::data::read_csv(dir / "d.csv", by_name);
  EXPECT_EQ(a.labels(), (std::vector<int32_t>{1, 0}));
  EXPECT_FLOAT_EQ(a.feature(1, 1), 21.0f);
  const Dataset b = nn::data::read_csv(dir / "d.csv", {.label_column = "0", .delimiter = ';'});
  EXPECT_EQ(b.labels(), a.labels());
  const Dataset c = nn::data::read_csv(dir / "d.csv", {.label_column = "-1", .delimiter = ';'});
  EXPECT_EQ(c.labels(), (std::vector<int32_t>{20, 21}));
  EXPECT_FLOAT_EQ(c.feature(0, 0), 1.0f);
}

TEST(Csv, SignedLabelsAreMappedInIncreasingOrder) {
  TempDir dir;
  write_file(dir / "d.csv", "0.5,1\n0.1,-1\n0.2,1\n");
  const Dataset d = nn::data::read_csv(dir / "d.csv");
  EXPECT_EQ(d.labels(), (std::vector<int32_t>{1, 0, 1}));
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"-1", "1"}));
}

TEST(Csv, ForcedHeaderSetting) {
  TempDir dir;
  write_file(dir / "d.csv", "1,2,0\n3,4,1\n");
  const Dataset d = nn::data::read_csv(dir / "d.csv", {.has_header = true});
  EXPECT_EQ(d.size(), 1);
  const Dataset e = nn::data::read_csv(dir / "d.csv", {.has_header = false});
  EXPECT_EQ(e.size(), 2);
}

TEST(Csv, Regression) {
  TempDir dir;
  write_file(dir / "r.csv", "x1,x2,t1,t2\n1,2,0.5,-1\n3,4,1.5,-2\n");
  const Dataset one = nn::data::read_csv_regression(dir / "r.csv");
  EXPECT_FALSE(one.is_classification());
  EXPECT_EQ(one.sample_shape(), (nn::Shape{3}));
  EXPECT_EQ(one.targets().shape(), (nn::Shape{2, 1}));
  EXPECT_FLOAT_EQ(one.targets()[1], -2.0f);
  const Dataset two = nn::data::read_csv_regression(dir / "r.csv", {.target_columns = {"t1", "t2"}});
  EXPECT_EQ(two.sample_shape(), (nn::Shape{2}));
  EXPECT_EQ(two.targets().shape(), (nn::Shape{2, 2}));
  EXPECT_FLOAT_EQ(two.targets().at(1, 0), 1.5f);
  EXPECT_FLOAT_EQ(two.targets().at(1, 1), -2.0f);
  write_file(dir / "bad.csv", "x,t\n1,2\n2,oops\n");
  const std::string m = error_of([&] { nn::data::read_csv_regression(dir / "bad.csv"); });
  EXPECT_HAS(m, "bad.csv:3: column 2 ('t')");
  EXPECT_HAS(m, "found 'oops'");
}

TEST(Csv, NonNumericCellNamesLineAndColumn) {
  TempDir dir;
  std::string text = "sepal,width,petal,length,species\n";
  for (int i = 0; i < 5; ++i) text += "1,2,3,4,a\n";
  text += "1,2,abc,4,b\n";  // line 7
  write_file(dir / "data.csv", text);
  const std::string m = error_of([&] { nn::data::read_csv(dir / "data.csv"); });
  EXPECT_HAS(m, "data.csv:7: column 3 ('petal'): expected a number, found 'abc'");
  write_file(dir / "nohead.csv", "1,2,0\n1,x,1\n");
  EXPECT_HAS(error_of([&] { nn::data::read_csv(dir / "nohead.csv"); }),
             "nohead.csv:2: column 2: expected a number, found 'x'");
}

// NaN and infinities are no data: a NaN label would even land in an existing class.
TEST(Csv, NonFiniteValuesAndLabelsAreErrorsNamingTheCell) {
  TempDir dir;
  write_file(dir / "labels.csv", "a,b,label\n1,2,0\n3,4,nan\n5,6,1\n");
  EXPECT_HAS(error_of([&] { nn::data::read_csv(dir / "labels.csv"); }),
             "labels.csv:3: column 3 ('label'): expected a class label, found 'nan'");
  write_file(dir / "inf.csv", "a,b,label\n1,2,0\n3,4,-inf\n");
  EXPECT_HAS(error_of([&] { nn::data::read_csv(dir / "inf.csv"); }), "expected a class label, found '-inf'");
  write_file(dir / "features.csv", "a,b,label\n1,nan,0\n3,4,1\n");
  EXPECT_HAS(error_of([&] { nn::data::read_csv(dir / "features.csv"); }),
             "features.csv:2: column 2 ('b'): expected a finite number, found 'nan'");
  write_file(dir / "big.csv", "a,b,label\n1,1e39,0\n3,4,1\n");
  EXPECT_HAS(error_of([&] { nn::data::read_csv(dir / "big.csv"); }), "expected a finite number, found '1e39'");
}

TEST(Csv, RaggedRow) {
  TempDir dir;
  write_file(dir / "data.csv", "a,b,c,d,y\n1,2,3,4,0\n1,2,3,4,1\n1,2,3,1\n");
  const std::string m = error_of([&] { nn::data::read_csv(dir / "data.csv"); });
  EXPECT_HAS(m, "data.csv:4: expected 5 fields, found 4");
}

TEST(Csv, EmptyFileHeaderOnlyAndMissingFile) {
  TempDir dir;
  write_file(dir / "empty.csv", "");
  EXPECT_HAS(error_of([&] { nn::data::read_csv(dir / "empty.csv"); }), "empty.csv: the file is empty");
  write_file(dir / "blank.csv", "\n \r\n\n");
  EXPECT_HAS(error_of([&] { nn::data::read_csv(dir / "blank.csv"); }), "blank.csv: the file is empty");
  write_file(dir / "head.csv", "a,b,y\n");
  EXPECT_HAS(error_of([&] { nn::data::read_csv(dir / "head.csv"); }), "head.csv: no data rows");
  EXPECT_HAS(error_of([&] { nn::data::read_csv(dir / "nope.csv"); }), "nope.csv': no such file");
}

TEST(Csv, UnknownLabelColumn) {
  TempDir dir;
  write_file(dir / "data.csv", "a,b,y\n1,2,0\n");
  const std::string m = error_of([&] { nn::data::read_csv(dir / "data.csv", {.label_column = "species"}); });
  EXPECT_HAS(m, "data.csv: no column named 'species'");
  EXPECT_HAS(m, "'a', 'b', 'y'");
  EXPECT_HAS(error_of([&] { nn::data::read_csv(dir / "data.csv", {.label_column = "7"}); }),
             "column index 7 is out of range for 3 columns");
}

}  // namespace
