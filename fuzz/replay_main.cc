// The stand-in for libFuzzer's main in every build: runs a fuzz target's
// LLVMFuzzerTestOneInput over every file in the directories (or files)
// given, once each, so that ctest replays the seed corpus and every past
// crash (fuzz/regressions/<target>/) under the build's own sanitizers. A
// directory that does not exist is skipped; a crash ends the run as it
// would under libFuzzer.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

std::vector<std::filesystem::path> InputsOf(const std::filesystem::path& where) {
  std::vector<std::filesystem::path> inputs;
  std::error_code error;
  if (std::filesystem::is_regular_file(where, error)) return {where};
  if (!std::filesystem::is_directory(where, error)) return {};
  for (const auto& entry : std::filesystem::recursive_directory_iterator(where, error)) {
    if (entry.is_regular_file()) inputs.push_back(entry.path());
  }
  std::sort(inputs.begin(), inputs.end());  // the same order on every run
  return inputs;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  std::size_t ran = 0;
  for (int i = 1; i < argc; ++i) {
    for (const std::filesystem::path& input : InputsOf(argv[i])) {
      std::ifstream file(input, std::ios::binary);
      std::vector<char> bytes((std::istreambuf_iterator<char>(file)),
                              std::istreambuf_iterator<char>());
      if (!file.good() && !file.eof()) {
        std::fprintf(stderr, "cannot read %s\n", input.c_str());
        return 1;
      }
      std::fprintf(stderr, "replay %s (%zu bytes)\n", input.c_str(), bytes.size());
      // A copy of exactly the input's size, so ASan sees a read past its end.
      std::vector<std::uint8_t> exact(bytes.begin(), bytes.end());
      LLVMFuzzerTestOneInput(exact.data(), exact.size());
      ++ran;
    }
  }
  std::fprintf(stderr, "replayed %zu inputs\n", ran);
  return 0;
}
