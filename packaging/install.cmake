# Run by `cmake --install` (and so by `make install`) after the files are copied: writes
# the systemd unit with the paths of this install, and the configuration file unless one
# is there already (an upgrade never overwrites what the operator wrote). Evaluated at
# install time, so `cmake --install BUILD --prefix P` and DESTDIR are both honoured.
set(prefix "${CMAKE_INSTALL_PREFIX}")
if(prefix STREQUAL "/usr")
  set(sysconfdir "/etc")
else()
  set(sysconfdir "${prefix}/etc")
endif()
set(PLENARY_BINDIR "${prefix}/bin")
set(PLENARY_SYSCONFDIR "${sysconfdir}")
set(PLENARY_DOCDIR "${prefix}/share/doc/plenary")

set(unit "$ENV{DESTDIR}${prefix}/lib/systemd/system/plenaryd.service")
file(READ "${CMAKE_CURRENT_LIST_DIR}/plenaryd.service.in" text)
string(CONFIGURE "${text}" text @ONLY)
message(STATUS "Installing: ${unit}")
file(WRITE "${unit}" "${text}")
list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${unit}")

set(config "$ENV{DESTDIR}${sysconfdir}/plenary/plenary.json")
if(EXISTS "${config}")
  message(STATUS "Keeping: ${config}")
else()
  message(STATUS "Installing: ${config}")
  file(MAKE_DIRECTORY "$ENV{DESTDIR}${sysconfdir}/plenary")
  file(READ "${CMAKE_CURRENT_LIST_DIR}/plenary.json" text)
  file(WRITE "${config}" "${text}")
  list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${config}")
endif()
