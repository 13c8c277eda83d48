# cmake --install build --prefix P gives:
#   P/bin/sluice, P/lib/libsluice.so*, P/include/sluice/*.hpp,
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
