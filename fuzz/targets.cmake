# The fuzz targets: <name> is fuzz/fuzz_<name>.cpp with its corpus in fuzz/corpus/<name>/, and
# KPE_FUZZ_LIBS_<name> the libraries it links. Shared by fuzz/CMakeLists.txt (libFuzzer) and
# tests/CMakeLists.txt (replay of the corpora).
set(KPE_FUZZ_TARGETS config web_config stats http_request)
set(KPE_FUZZ_LIBS_config kpe_config)
set(KPE_FUZZ_LIBS_web_config kpe_http OpenSSL::Crypto yaml-cpp)
set(KPE_FUZZ_LIBS_stats kpe_clientstats)
set(KPE_FUZZ_LIBS_http_request kpe_http kpe_clientstats kpe_util Boost::boost)
