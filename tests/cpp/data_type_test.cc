#include "strata/core/data_type.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "strata/core/quantization.h"

namespace strata {
namespace {

TEST(DataTypeTest, ParsesEveryType) {
  for (const char* name : {"bool", "int32", "int64", "float32", "float64", "string", "bytes", "timestamp", "list<int64>",
                           "list<float32>", "list<string>", "vector<float32,64>"}) {
    auto t = DataType::Parse(name);
    ASSERT_TRUE(t.ok()) << name;
    EXPECT_EQ(t->ToString(), name);
  }
  EXPECT_EQ(DataType::Parse("vector< float32, 8 >")->dim, 8);
  EXPECT_FALSE(DataType::Parse("int128").ok());
  EXPECT_FALSE(DataType::Parse("vector<float32,0>").ok());
  EXPECT_FALSE(DataType::Parse("list<bool>").ok());
}

TEST(DataTypeTest, OnlyWideningEvolves) {
  auto t = [](const char* s) { return *DataType::Parse(s); };
  EXPECT_TRUE(CanEvolve(t("int32"), t("int64")));
  EXPECT_TRUE(CanEvolve(t("float32"), t("float64")));
  EXPECT_FALSE(CanEvolve(t("int64"), t("int32")));
  EXPECT_FALSE(CanEvolve(t("float64"), t("float32")));
  EXPECT_FALSE(CanEvolve(t("int32"), t("float64")));
  EXPECT_FALSE(CanEvolve(t("vector<float32,4>"), t("vector<float32,8>")));
  EXPECT_TRUE(CanEvolve(t("vector<float32,4>"), DataType::Vector(4, Quantization::kInt8)));
}

double Cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / std::sqrt(na * nb);
}

// Reports the round-trip error of both quantizations on random unit vectors.
TEST(QuantizationTest, RoundTripErrorOnRandomUnitVectors) {
  std::mt19937 rng(42);
  std::normal_distribution<float> normal;
  double worst_int8 = 1, worst_f16 = 1;
  for (int trial = 0; trial < 2000; ++trial) {
    const int dim = trial % 2 ? 64 : 256;
    std::vector<float> x(dim);
    double norm = 0;
    for (auto& v : x) {
      v = normal(rng);
      norm += v * v;
    }
    for (auto& v : x) v = static_cast<float>(v / std::sqrt(norm));
    std::vector<int8_t> q(dim);
    const float scale = QuantizeInt8(x.data(), dim, q.data());
    std::vector<float> back(dim), half(dim);
    for (int i = 0; i < dim; ++i) {
      back[i] = DequantizeInt8(q[i], scale);
      half[i] = HalfToFloat(FloatToHalf(x[i]));
    }
    worst_int8 = std::min(worst_int8, Cosine(x, back));
    worst_f16 = std::min(worst_f16, Cosine(x, half));
  }
  RecordProperty("worst_cosine_int8", std::to_string(worst_int8));
  RecordProperty("worst_cosine_float16", std::to_string(worst_f16));
  std::printf("worst cosine over 2000 random unit vectors: int8 %.6f, float16 %.8f\n", worst_int8, worst_f16);
  EXPECT_GE(worst_int8, 0.999);
  EXPECT_GE(worst_f16, 0.99999);
}

TEST(QuantizationTest, HalfHandlesSpecialValues) {
  EXPECT_EQ(HalfToFloat(FloatToHalf(0.0f)), 0.0f);
  EXPECT_EQ(HalfToFloat(FloatToHalf(1.0f)), 1.0f);
  EXPECT_EQ(HalfToFloat(FloatToHalf(-2.5f)), -2.5f);
  EXPECT_TRUE(std::isinf(HalfToFloat(FloatToHalf(1e6f))));
  EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(NAN))));
  EXPECT_NEAR(HalfToFloat(FloatToHalf(1e-6f)), 1e-6f, 1e-7f);  // subnormal half
  std::vector<int8_t> q(4);
  const float zeros[4] = {0, 0, 0, 0};
  QuantizeInt8(zeros, 4, q.data());
  for (auto v : q) EXPECT_EQ(v, 0);
}

}  // namespace
}  // namespace strata
