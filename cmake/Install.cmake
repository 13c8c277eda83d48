# cmake --install build --prefix P gives:
#   P/bin/sluice, P/lib/libsluice.so*, P/include/sluice/*.hpp (and internal/,
#   the machinery its templates need),
#   P/share/sluice/web/ (the page), P/lib/cmake/sluice/ (find_package).
include(CMakePackageConfigHelpers)

install(TARGETS sluice RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS sluice_runtime LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY include/sluice DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(SLUICE_BUILD_WEB)
  install(DIRECTORY ${PROJECT_BINARY_DIR}/web/dist/ DESTINATION ${CMAKE_INSTALL_DATADIR}/sluice/web)
endif()

set(config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/sluice)
configure_file(cmake/sluiceConfig.cmake.in ${PROJECT_BINARY_DIR}/sluiceConfig.cmake @ONLY)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/sluiceConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/sluiceConfig.cmake ${PROJECT_BINARY_DIR}/sluiceConfigVersion.cmake
              cmake/SluiceApp.cmake
        DESTINATION ${config_dir})

# Running as a service (README, "Running in production"): an example config
# P/etc/sluice/sluice.toml (+ secrets.toml.example) and the systemd unit
# P/lib/systemd/system/sluice.service, where systemd looks for units of a
# /usr or /usr/local install. The unit names the binary and the config by
# the prefix given at install time (cmake --install --prefix P).
install(FILES examples/service/sluice.toml examples/service/secrets.toml.example
        DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/sluice)
# The HAProxy front for several brokers (README, "More than one host").
install(FILES examples/haproxy/sluice.cfg DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/haproxy)
install(CODE "
  set(SLUICE_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
  set(SLUICE_SYSCONFDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SYSCONFDIR}\")
  set(unit \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system/sluice.service\")
  message(STATUS \"Installing: \${unit}\")
  configure_file(\"${PROJECT_SOURCE_DIR}/examples/service/sluice.service.in\" \"\${unit}\" @ONLY)
")
