#pragma once
// Embedding quantization: IEEE half precision, and int8 with one float32 scale per row.

#include <cstdint>

namespace strata {

uint16_t FloatToHalf(float f);
float HalfToFloat(uint16_t h);

// Symmetric per-row int8: q[i] = round(x[i] / scale), scale = max|x| / 127. Returns scale.
float QuantizeInt8(const float* x, int n, int8_t* q);
inline float DequantizeInt8(int8_t q, float scale) { return static_cast<float>(q) * scale; }

}  // namespace strata
