// libFuzzer entry point for the shingle target; the body and its input layout are in fuzz_targets.h.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return neardup::fuzz::ShingleText(data, size);
}
