# sluice_add_app(NAME SOURCES file.cc ...)
#
# Builds NAME.so, an app `sluice serve NAME.so` can load: a module linked
# against libsluice (target sluice::st), C++20, with only the SLUICE_APP entry
# point exported. Used in this tree and installed with find_package(sluice).
function(sluice_add_app name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "" "SOURCES")
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "sluice_add_app(${name}): give the app's SOURCES")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE sluice::st)
  target_compile_features(${name} PRIVATE cxx_std_20)
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
endfunction()
