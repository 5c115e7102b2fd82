// nn::JsonValue: the JSON value public structs hold without including nlohmann JSON's full header.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "nn/json_value.hpp"

using nlohmann::json;

TEST(JsonValue, DefaultIsAnEmptyObject) {
  const nn::JsonValue v;
  EXPECT_TRUE(v->is_object());
  EXPECT_TRUE(v->empty());
  EXPECT_EQ(v.dump(), "{}");
}

TEST(JsonValue, CopiesAreDeep) {
  nn::JsonValue a = json{{"lr", 0.1}, {"model", "linear:10"}};
  nn::JsonValue b = a;
  b["lr"] = 0.5;
  EXPECT_DOUBLE_EQ(a["lr"].get<double>(), 0.1);
  EXPECT_DOUBLE_EQ(b["lr"].get<double>(), 0.5);
  a = b;
  EXPECT_EQ(a, b);
  b["lr"] = 0.25;
  EXPECT_DOUBLE_EQ(a["lr"].get<double>(), 0.5);
}

TEST(JsonValue, MovedFromIsAnEmptyObject) {
  nn::JsonValue a = json{{"p", 0.5}};
  nn::JsonValue b = std::move(a);
  EXPECT_EQ(b, (json{{"p", 0.5}}));
  EXPECT_EQ(a, json::object());  // NOLINT(bugprone-use-after-move): the documented state
  nn::JsonValue c;
  c = std::move(b);
  EXPECT_EQ(c, (json{{"p", 0.5}}));
  EXPECT_EQ(b, json::object());  // NOLINT(bugprone-use-after-move)
}

TEST(JsonValue, ConvertsToAndFromJson) {
  nn::JsonValue v;
  v = json::parse(R"({"out": 128, "init": "he"})");
  const json& j = v;
  EXPECT_EQ(j.at("out"), 128);
  json copy = v.get();
  copy.erase("init");
  EXPECT_TRUE(v.contains("init"));
  EXPECT_FALSE(v.contains("bias"));
  v->erase("init");
  EXPECT_EQ(v, copy);
  const nn::JsonValue not_object = json::array({1, 2});
  EXPECT_FALSE(not_object.contains("out"));
  const nn::JsonValue c = json{{"a", 1}};
  EXPECT_THROW(static_cast<void>(c["b"]), json::out_of_range);
}
