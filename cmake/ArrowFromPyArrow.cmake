# Arrow and Parquet C++: a system install if CMake finds one, else the headers and shared
# libraries bundled in the pyarrow wheel of the project venv (see pyarrow's "building
# extensions against PyPI wheels"). Defines the imported targets strata::arrow and strata::parquet.
find_package(Arrow CONFIG QUIET)
find_package(Parquet CONFIG QUIET)
if(Arrow_FOUND AND Parquet_FOUND)
  message(STATUS "Arrow: system ${Arrow_VERSION}")
  add_library(strata::arrow INTERFACE IMPORTED)
  target_link_libraries(strata::arrow INTERFACE Arrow::arrow_shared)
  add_library(strata::parquet INTERFACE IMPORTED)
  target_link_libraries(strata::parquet INTERFACE Parquet::parquet_shared)
  add_library(strata::arrow_compute INTERFACE IMPORTED)  # a separate library since Arrow 21
  find_package(ArrowCompute CONFIG QUIET)
  if(ArrowCompute_FOUND)
    target_link_libraries(strata::arrow_compute INTERFACE ArrowCompute::arrow_compute_shared)
  else()
    target_link_libraries(strata::arrow_compute INTERFACE Arrow::arrow_shared)
  endif()
  return()
endif()

if(SKBUILD)
  # pip install .: the build environment's interpreter, which has pyarrow (a build requirement).
  set(STRATA_PYTHON "${Python_EXECUTABLE}" CACHE FILEPATH "Python with pyarrow")
else()
  set(STRATA_PYTHON "${CMAKE_SOURCE_DIR}/.venv/bin/python" CACHE FILEPATH "Python with pyarrow")
endif()
execute_process(
  COMMAND ${STRATA_PYTHON} -c "import pyarrow as pa; print(pa.get_include()); print(pa.get_library_dirs()[0]); print(pa.__version__)"
  OUTPUT_VARIABLE _pa_out RESULT_VARIABLE _pa_rc OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _pa_rc EQUAL 0)
  message(FATAL_ERROR "Arrow C++ not found: no system Arrow and no pyarrow in ${STRATA_PYTHON}. Run `make setup`.")
endif()
string(REPLACE "\n" ";" _pa_lines "${_pa_out}")
list(GET _pa_lines 0 PYARROW_INCLUDE_DIR)
list(GET _pa_lines 1 PYARROW_LIB_DIR)
list(GET _pa_lines 2 PYARROW_VERSION)
file(GLOB _arrow_lib "${PYARROW_LIB_DIR}/libarrow.so.[0-9]*")
file(GLOB _parquet_lib "${PYARROW_LIB_DIR}/libparquet.so.[0-9]*")
file(GLOB _compute_lib "${PYARROW_LIB_DIR}/libarrow_compute.so.[0-9]*")
if(NOT _arrow_lib OR NOT _parquet_lib)
  message(FATAL_ERROR "pyarrow at ${PYARROW_LIB_DIR} lacks libarrow/libparquet shared libraries")
endif()
list(GET _arrow_lib 0 _arrow_lib)
list(GET _parquet_lib 0 _parquet_lib)
message(STATUS "Arrow: pyarrow ${PYARROW_VERSION} wheel at ${PYARROW_LIB_DIR}")

add_library(strata::arrow SHARED IMPORTED)
set_target_properties(strata::arrow PROPERTIES IMPORTED_LOCATION ${_arrow_lib}
  INTERFACE_INCLUDE_DIRECTORIES ${PYARROW_INCLUDE_DIR})
add_library(strata::parquet SHARED IMPORTED)
set_target_properties(strata::parquet PROPERTIES IMPORTED_LOCATION ${_parquet_lib}
  INTERFACE_INCLUDE_DIRECTORIES ${PYARROW_INCLUDE_DIR}
  INTERFACE_LINK_LIBRARIES strata::arrow)
if(_compute_lib)
  list(GET _compute_lib 0 _compute_lib)
  add_library(strata::arrow_compute SHARED IMPORTED)
  set_target_properties(strata::arrow_compute PROPERTIES IMPORTED_LOCATION ${_compute_lib}
    INTERFACE_INCLUDE_DIRECTORIES ${PYARROW_INCLUDE_DIR} INTERFACE_LINK_LIBRARIES strata::arrow)
else()
  add_library(strata::arrow_compute INTERFACE IMPORTED)
  target_link_libraries(strata::arrow_compute INTERFACE strata::arrow)
endif()
# The wheel's libraries live in the venv: executables find them through their rpath.
set(CMAKE_BUILD_RPATH "${PYARROW_LIB_DIR}")
set(CMAKE_INSTALL_RPATH "${PYARROW_LIB_DIR}")
