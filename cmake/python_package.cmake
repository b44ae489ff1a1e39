# Whether this build builds the Python package's extension module (python/, docs/python.md), from
# HEDGESIM_BUILD_PYTHON: ON (pip install . sets it; pybind11 is then required), OFF (the default: the
# CLI's build needs no pybind11) or AUTO (the test command's preset `ci`): built when this machine has
# what the module and its tests need, and otherwise not built, with the reason printed at configure
# time and the CTest test python_package registered as one that is skipped and says why.
#
# Sets HEDGESIM_PYTHON_BUILT (TRUE/FALSE) and HEDGESIM_PYTHON_SKIP_REASON (empty when built; an
# INTERNAL cache entry too, for scripts). What AUTO needs, for the Python it takes (-DPython_EXECUTABLE=…,
# else an active venv's, else Debian's /usr/bin/python3, else the first python3 on PATH):
#   - Python >= 3.9 with its development headers (Debian: python3-dev, scripts/install-deps.sh);
#   - pybind11 >= 2.10 found by find_package(pybind11 CONFIG) (Debian: pybind11-dev, 2.10.3 in Debian 12,
#     scripts/install-deps.sh; or pybind11_DIR given; a pybind11 that Python imports is preferred, see
#     hedgesim_find_pybind11 below);
#   - with the tests, pytest, numpy and pandas importable by it (Debian: python3-pytest, python3-numpy,
#     python3-pandas, scripts/install-deps.sh).
set(HEDGESIM_BUILD_PYTHON OFF CACHE STRING
    "Build the Python extension module (python/, needs pybind11): ON, OFF, or AUTO (when pybind11 and the test modules are found)")
set_property(CACHE HEDGESIM_BUILD_PYTHON PROPERTY STRINGS ON OFF AUTO)
string(TOUPPER "${HEDGESIM_BUILD_PYTHON}" _hs_py_mode)
set(HEDGESIM_PYTHON_SKIP_REASON "")

# find_package(pybind11 CONFIG) for the Python found (call after find_package(Python)). A pybind11 that
# this Python imports (pip's, in the isolated build environment of `pip install .` or in a venv) is
# searched first, through its `python -m pybind11 --cmakedir`; otherwise the usual search finds
# Debian's pybind11-dev (/usr/lib/cmake/pybind11). A valid pybind11_DIR (given, or cached by an earlier
# configure) is used as is; a stale one (pip's build environment of an earlier run) is searched again.
macro(hedgesim_find_pybind11)
  execute_process(COMMAND "${Python_EXECUTABLE}" -m pybind11 --cmakedir
                  OUTPUT_VARIABLE _hs_pybind11_hint OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE _hs_pybind11_rc ERROR_QUIET)
  if(NOT _hs_pybind11_rc EQUAL 0)
    set(_hs_pybind11_hint "")
  endif()
  find_package(pybind11 2.10 CONFIG ${ARGN} HINTS ${_hs_pybind11_hint})
endmacro()
if(_hs_py_mode MATCHES "^(ON|YES|TRUE|Y|1)$")
  set(HEDGESIM_PYTHON_BUILT TRUE)
elseif(_hs_py_mode MATCHES "^(OFF|NO|FALSE|N|0)$")
  set(HEDGESIM_PYTHON_BUILT FALSE)
  set(HEDGESIM_PYTHON_SKIP_REASON "HEDGESIM_BUILD_PYTHON is ${HEDGESIM_BUILD_PYTHON}")
elseif(_hs_py_mode STREQUAL "AUTO")
  set(HEDGESIM_PYTHON_BUILT FALSE)
  # Debian's interpreter, whose modules scripts/install-deps.sh installs and which the other Python tests
  # run (/usr/bin/python3), unless one is chosen or a venv is active: a python3 first on PATH (pyenv's)
  # lacks them.
  if(NOT Python_EXECUTABLE AND NOT DEFINED ENV{VIRTUAL_ENV} AND EXISTS /usr/bin/python3)
    set(Python_EXECUTABLE /usr/bin/python3)
  endif()
  find_package(Python 3.9 COMPONENTS Interpreter Development.Module)
  if(NOT Python_Interpreter_FOUND)
    set(HEDGESIM_PYTHON_SKIP_REASON "no Python 3.9 or later was found")
  elseif(NOT Python_Development.Module_FOUND)
    set(HEDGESIM_PYTHON_SKIP_REASON
        "${Python_EXECUTABLE} has no development headers (Debian: python3-dev, scripts/install-deps.sh)")
  else()
    set(_hs_py_missing "")
    hedgesim_find_pybind11(QUIET)
    if(NOT pybind11_FOUND)
      list(APPEND _hs_py_missing "pybind11 >= 2.10 (Debian: pybind11-dev)")
    endif()
    if(HEDGESIM_BUILD_TESTS)
      foreach(_hs_module pytest numpy pandas)
        execute_process(COMMAND "${Python_EXECUTABLE}" -c "import ${_hs_module}" RESULT_VARIABLE _hs_import
                        OUTPUT_QUIET ERROR_QUIET)
        if(NOT _hs_import EQUAL 0)
          list(APPEND _hs_py_missing ${_hs_module})
        endif()
      endforeach()
    endif()
    if(_hs_py_missing)
      list(JOIN _hs_py_missing ", " _hs_py_missing_text)
      set(HEDGESIM_PYTHON_SKIP_REASON
          "missing for ${Python_EXECUTABLE}: ${_hs_py_missing_text} (scripts/install-deps.sh installs them from Debian's packages; or configure with -DPython_EXECUTABLE=a venv's python that has them; docs/testing.md)")
    else()
      set(HEDGESIM_PYTHON_BUILT TRUE)
    endif()
  endif()
  if(HEDGESIM_PYTHON_BUILT)
    message(STATUS "Python package (HEDGESIM_BUILD_PYTHON=AUTO): built for ${Python_EXECUTABLE}; CTest runs python_package")
  else()
    # NOTICE goes to stderr: scripts/test.sh, which silences the configure step's stdout, shows it.
    message(NOTICE "Python package (HEDGESIM_BUILD_PYTHON=AUTO) not built, CTest python_package skipped: "
                   "${HEDGESIM_PYTHON_SKIP_REASON}")
  endif()
else()
  message(FATAL_ERROR "HEDGESIM_BUILD_PYTHON = '${HEDGESIM_BUILD_PYTHON}': expected ON, OFF or AUTO")
endif()
set(HEDGESIM_PYTHON_SKIP_REASON "${HEDGESIM_PYTHON_SKIP_REASON}" CACHE INTERNAL "why the Python package is not built")
