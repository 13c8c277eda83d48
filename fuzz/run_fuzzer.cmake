# One fuzz target's ctest (label fuzz): libFuzzer for SECONDS on a working
# copy of its seed corpus (the repository is never written), with the
# regression inputs as a second, read-only corpus. A crash fails the test;
# libFuzzer leaves the input in WORK/artifacts/. Found inputs stay in
# WORK/corpus for the next run.
#   cmake -DFUZZER=... -DSECONDS=... -DSEED=... -DSEEDS=... -DREGRESSIONS=... -DWORK=... -P run_fuzzer.cmake
file(MAKE_DIRECTORY ${WORK}/corpus ${WORK}/artifacts)
file(GLOB seeds ${SEEDS}/*)
if(seeds)
  file(COPY ${seeds} DESTINATION ${WORK}/corpus)
endif()
set(corpora ${WORK}/corpus)
if(IS_DIRECTORY ${REGRESSIONS})
  list(APPEND corpora ${REGRESSIONS})
endif()
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -seed=${SEED} -timeout=60 -print_final_stats=1
          -artifact_prefix=${WORK}/artifacts/ ${corpora}
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${result}); the input is in ${WORK}/artifacts/. "
                      "Copy it to ${REGRESSIONS}/ and fix what it shows.")
endif()
