// A shared library that is not a sluice app: it has no SLUICE_APP entry.
extern "C" __attribute__((visibility("default"))) int not_an_app_answer() { return 42; }
