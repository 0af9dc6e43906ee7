# Finds the libraries latentlab builds on. LibTorch, fmt and nlohmann-json are required everywhere;
# OpenCV, HDF5 and Boost.ProgramOptions are optional so that a GPU machine with only the torch wheel
# still builds, and the summary at the end says which features are off.

# --- LibTorch -------------------------------------------------------------------------------------
if(LATENTLAB_CUDA)
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES 90)
  endif()
  set(LATENTLAB_CUDA_ARCHITECTURES ${CMAKE_CUDA_ARCHITECTURES})
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)
  if(NOT DEFINED Torch_DIR)
    # PATH order on purpose: FindPython3 may pick /usr/bin/python3, which has no CUDA torch.
    find_program(LATENTLAB_PYTHON3 python3 REQUIRED)
    execute_process(
      COMMAND ${LATENTLAB_PYTHON3} -c "import torch; print(torch.utils.cmake_prefix_path)"
      OUTPUT_VARIABLE _torch_prefix OUTPUT_STRIP_TRAILING_WHITESPACE
      RESULT_VARIABLE _torch_rc ERROR_VARIABLE _torch_err)
    if(NOT _torch_rc EQUAL 0)
      message(FATAL_ERROR "LATENTLAB_CUDA=ON needs python3 with torch: ${_torch_err}")
    endif()
    list(PREPEND CMAKE_PREFIX_PATH "${_torch_prefix}")
  endif()
  set(TORCH_CUDA_ARCH_LIST "9.0")
endif()

find_package(Torch REQUIRED CONFIG)
if(LATENTLAB_CUDA)
  if(NOT TORCH_CUDA_LIBRARIES)
    message(FATAL_ERROR "LATENTLAB_CUDA=ON but the Torch at ${Torch_DIR} has no CUDA")
  endif()
  # find_package(Torch) may overwrite the architectures (pytorch#115937): restore ours.
  set(CMAKE_CUDA_ARCHITECTURES ${LATENTLAB_CUDA_ARCHITECTURES})
endif()
# The pip wheels' libtorch_cpu.so and libtorch.so export copies of libstdc++ symbols (std::filesystem among
# them) that they link statically (pytorch#133437); listed before libstdc++ in DT_NEEDED they interpose ours:
# on the GPU machine LD_DEBUG showed path::_M_split_cmpts bound to libtorch_cpu and file_size to libtorch,
# and every test that touched std::filesystem crashed. Naming libstdc++ first makes it win. (Through
# CMAKE_EXE_LINKER_FLAGS, which come before the objects and, unlike add_link_options, are never de-duplicated.)
# `-l:libstdc++.so.6`, not `-lstdc++`: the GPU image's /opt/gcc compiler resolved -lstdc++ to a static archive,
# which pulls nothing in at the front of the line, so the binaries still bound to LibTorch's unversioned copies.
if(Torch_DIR MATCHES "site-packages" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  string(APPEND CMAKE_EXE_LINKER_FLAGS " -Wl,--push-state,--no-as-needed -l:libstdc++.so.6 -Wl,--pop-state")
  message(STATUS "LibTorch from a wheel: libstdc++ linked ahead of it (pytorch#133437)")
endif()

# --- always required ------------------------------------------------------------------------------
# A machine without Debian's -dev packages (the GPU image) can point LATENTLAB_DEPS_DIR at a folder with
# include/ (fmt, nlohmann, and optionally the Boost.ProgramOptions, libzip and HDF5 headers) and lib/ (those
# libraries and what they link); tools/gpu-carry.sh assembles one from a Debian machine. fmt is then header-only.
set(LATENTLAB_DEPS_DIR "" CACHE PATH "Fallback folder with include/ and lib/ for dependencies not installed")
# Torch 2.x wheels ship fmt's headers in torch/include, which comes first on the include path: use those
# header-only, so that the fmt compiled against is the fmt linked (a system libfmt of another version is not).
foreach(dir ${TORCH_INCLUDE_DIRS})
  list(FIND CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES "${dir}" implicit)
  if(implicit EQUAL -1 AND EXISTS "${dir}/fmt/format.h" AND NOT TARGET fmt::fmt)
    if(NOT EXISTS "${dir}/fmt/format-inl.h")
      message(FATAL_ERROR "${dir}/fmt has no format-inl.h: fmt cannot be used header-only from LibTorch")
    endif()
    add_library(fmt::fmt INTERFACE IMPORTED)
    target_include_directories(fmt::fmt INTERFACE "${dir}")
    target_compile_definitions(fmt::fmt INTERFACE FMT_HEADER_ONLY=1)
    set(fmt_FOUND TRUE)
    message(STATUS "fmt: header-only from LibTorch's ${dir}/fmt")
  endif()
endforeach()
if(NOT fmt_FOUND)
  find_package(fmt QUIET)
endif()
if(NOT fmt_FOUND)
  if(NOT EXISTS "${LATENTLAB_DEPS_DIR}/include/fmt/format.h")
    message(FATAL_ERROR "fmt not found: install libfmt-dev, or set LATENTLAB_DEPS_DIR to a folder with include/fmt/")
  endif()
  add_library(fmt::fmt INTERFACE IMPORTED)
  target_include_directories(fmt::fmt INTERFACE "${LATENTLAB_DEPS_DIR}/include")
  target_compile_definitions(fmt::fmt INTERFACE FMT_HEADER_ONLY=1)
  message(STATUS "fmt: header-only from ${LATENTLAB_DEPS_DIR}/include")
endif()
find_package(nlohmann_json 3.9 QUIET)
if(NOT nlohmann_json_FOUND)
  if(NOT EXISTS "${LATENTLAB_DEPS_DIR}/include/nlohmann/json.hpp")
    message(FATAL_ERROR "nlohmann-json not found: install nlohmann-json3-dev, or set LATENTLAB_DEPS_DIR")
  endif()
  add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED)
  target_include_directories(nlohmann_json::nlohmann_json INTERFACE "${LATENTLAB_DEPS_DIR}/include")
  message(STATUS "nlohmann-json: from ${LATENTLAB_DEPS_DIR}/include")
endif()
find_package(Threads REQUIRED)

# --- optional -------------------------------------------------------------------------------------
# Each optional package can be hidden with -DCMAKE_DISABLE_FIND_PACKAGE_<Boost|HDF5|OpenCV|libzip>=ON, which
# also skips its LATENTLAB_DEPS_DIR fallback (a GPU-like build on CPU: docs/building.md).
# Debian's libzip CMake config names the zipcmp/zipmerge tools, which libzip-dev does not ship: use pkg-config.
# pkg-config is not find_package, so the switch is honoured by hand; LIBZIP_FOUND is cached by an earlier find.
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND AND NOT CMAKE_DISABLE_FIND_PACKAGE_libzip)
  pkg_check_modules(LIBZIP QUIET IMPORTED_TARGET libzip)
else()
  set(LIBZIP_FOUND FALSE)
endif()
find_package(Boost 1.70 QUIET COMPONENTS program_options)
find_package(HDF5 QUIET COMPONENTS C CXX)

# latentlab_deps_dir_library(<found variable> <target> <header> <library glob>): an imported target from
# LATENTLAB_DEPS_DIR when both are there (libraries are carried under their soname, without symlinks).
function(latentlab_deps_dir_library found target header library_glob)
  set(${found} FALSE PARENT_SCOPE)
  file(GLOB library "${LATENTLAB_DEPS_DIR}/lib/${library_glob}")
  if(LATENTLAB_DEPS_DIR AND EXISTS "${LATENTLAB_DEPS_DIR}/include/${header}" AND library)
    add_library(${target} SHARED IMPORTED GLOBAL)
    set_target_properties(${target} PROPERTIES IMPORTED_LOCATION "${library}"
                          INTERFACE_INCLUDE_DIRECTORIES "${LATENTLAB_DEPS_DIR}/include")
    set(${found} TRUE PARENT_SCOPE)
    message(STATUS "${target}: from ${LATENTLAB_DEPS_DIR}")
  endif()
endfunction()
if(NOT Boost_FOUND AND NOT CMAKE_DISABLE_FIND_PACKAGE_Boost)
  latentlab_deps_dir_library(Boost_FOUND Boost::program_options boost/program_options.hpp
                             libboost_program_options.so.*)
endif()
if(NOT LIBZIP_FOUND AND NOT CMAKE_DISABLE_FIND_PACKAGE_libzip)
  latentlab_deps_dir_library(LIBZIP_FOUND PkgConfig::LIBZIP zip.h libzip.so.*)
endif()
if(NOT HDF5_FOUND AND NOT CMAKE_DISABLE_FIND_PACKAGE_HDF5)
  latentlab_deps_dir_library(HDF5_FOUND latentlab_deps_hdf5 hdf5.h libhdf5_serial.so.*)
  if(HDF5_FOUND)
    set(HDF5_INCLUDE_DIRS "${LATENTLAB_DEPS_DIR}/include")
    set(HDF5_LIBRARIES latentlab_deps_hdf5)
  endif()
endif()
find_package(OpenCV QUIET COMPONENTS core imgproc imgcodecs)

# One interface target carries the feature switches to every library that needs them.
add_library(latentlab_features INTERFACE)
set(LATENTLAB_FEATURE_LINES "")
macro(latentlab_feature name found what)
  if(${found})
    target_compile_definitions(latentlab_features INTERFACE LATENTLAB_WITH_${name}=1)
    list(APPEND LATENTLAB_FEATURE_LINES "  ${what}: on")
  else()
    list(APPEND LATENTLAB_FEATURE_LINES "  ${what}: OFF (${ARGN})")
  endif()
endmacro()
latentlab_feature(CUDA LATENTLAB_CUDA "CUDA" "configure with -DLATENTLAB_CUDA=ON")
# latentlab_missing(<package> <Debian package>): why a package is absent, in _missing_<package>.
macro(latentlab_missing package debian)
  if(CMAKE_DISABLE_FIND_PACKAGE_${package})
    set(_missing_${package} "-DCMAKE_DISABLE_FIND_PACKAGE_${package}=ON")
  else()
    set(_missing_${package} "${debian} missing")
  endif()
endmacro()
latentlab_missing(libzip libzip-dev)
latentlab_missing(Boost libboost-program-options-dev)
latentlab_missing(HDF5 libhdf5-dev)
latentlab_missing(OpenCV libopencv-dev)
latentlab_feature(ZIP LIBZIP_FOUND ".npz and zip-format .pth files" "${_missing_libzip}")
latentlab_feature(BOOST Boost_FOUND "latentlab program (Boost.ProgramOptions)" "${_missing_Boost}")
latentlab_feature(HDF5 HDF5_FOUND "HDF5 latent store" "${_missing_HDF5}")
latentlab_feature(OPENCV OpenCV_FOUND "image files and procedural datasets (OpenCV)" "${_missing_OpenCV}")

function(latentlab_print_features)
  message(STATUS "latentlab ${PROJECT_VERSION} with LibTorch ${Torch_VERSION} from ${Torch_DIR}")
  foreach(line IN LISTS LATENTLAB_FEATURE_LINES)
    message(STATUS "${line}")
  endforeach()
  if(LATENTLAB_WITH_GLOO)  # decided in lib/distributed/CMakeLists.txt
    message(STATUS "  Gloo CPU collectives (data-parallel CPU ranks): on")
  elseif(NOT LATENTLAB_GLOO)
    message(STATUS "  Gloo CPU collectives (data-parallel CPU ranks): OFF (-DLATENTLAB_GLOO=OFF)")
  else()
    message(STATUS "  Gloo CPU collectives (data-parallel CPU ranks): OFF (gloo headers missing: libgloo-dev)")
  endif()
endfunction()
