// internal/sha256.h: SHA-256 (FIPS 180-4) and standard Base64 (RFC 4648, with padding), for the
// Content-Security-Policy hash of the report page's one inline script ("sha256-<base64>"). Not
// meant for large inputs: the message is copied once to pad it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace neardup::internal {

// The 32-byte SHA-256 digest of `message`.
std::array<uint8_t, 32> Sha256(std::string_view message);

// `bytes` in standard Base64 (alphabet A-Z a-z 0-9 + /, "=" padding).
std::string Base64(std::string_view bytes);

// Base64(Sha256(message)): the form a CSP source expression 'sha256-...' takes.
std::string Sha256Base64(std::string_view message);

}  // namespace neardup::internal
