// Replays fuzz inputs through a fuzz target's LLVMFuzzerTestOneInput without libFuzzer, so that the
// kept corpora run as regression tests in the ordinary (g++) build. Arguments: files or folders (every
// regular file in them, in name order). A crash, a sanitizer report or an abort in the target fails
// the run; the file being run is printed first so the culprit is known. Fails when no input was run.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::filesystem::path> Inputs(const std::filesystem::path& arg) {
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(arg)) {
    for (const auto& entry : std::filesystem::directory_iterator(arg)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(arg);
  }
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  size_t runs = 0;
  for (int i = 1; i < argc; ++i) {
    for (const std::filesystem::path& file : Inputs(argv[i])) {
      std::ifstream in(file, std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "cannot read %s\n", file.c_str());
        return 1;
      }
      const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::printf("running %s (%zu bytes)\n", file.c_str(), data.size());
      std::fflush(stdout);
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
      ++runs;
    }
  }
  std::printf("%zu inputs ran without a failure\n", runs);
  return runs > 0 ? 0 : 1;
}
