# native/: C++17 CPU kernels, compiled into a static PIC library, then linked into the JNI library
# that JavaCPP's Builder generates from org.sepnet.backend.cpu.NativeKernels. The JNI library lands
# at org/sepnet/backend/cpu/linux-x86_64/ in the class output, where JavaCPP's Loader finds it.
find_package(Threads REQUIRED)
file(GLOB SEPNET_NATIVE_SOURCES CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/native/src/*.cpp")
file(GLOB SEPNET_NATIVE_HEADERS CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/native/include/*.h"
     "${CMAKE_SOURCE_DIR}/native/src/*.h" "${CMAKE_SOURCE_DIR}/native/src/*.inc" "${CMAKE_SOURCE_DIR}/native/src/kernels/*.inc")

add_library(sepnet_native STATIC ${SEPNET_NATIVE_SOURCES})
set_target_properties(sepnet_native PROPERTIES
  CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF
  POSITION_INDEPENDENT_CODE ON)
target_include_directories(sepnet_native PUBLIC "${CMAKE_SOURCE_DIR}/native/include")
# -ffp-contract=off: results must not depend on whether the compiler fused a multiply-add, so
# every ISA path and thread count gives the same bits.
target_compile_options(sepnet_native PRIVATE -O3 -Wall -Wextra -Werror=return-type -fno-math-errno
  -Wno-psabi)
target_link_libraries(sepnet_native PUBLIC Threads::Threads)
# kernels.inc is compiled once per instruction set; the CPU picks one at run time. The vector
# kernels may contract multiply-adds into FMAs; every other file keeps separate roundings.
set_source_files_properties("${CMAKE_SOURCE_DIR}/native/src/kernels_avx512.cpp" PROPERTIES
  COMPILE_OPTIONS "-mavx512f;-mavx2;-mfma;-ffp-contract=fast")
set_source_files_properties("${CMAKE_SOURCE_DIR}/native/src/kernels_avx2.cpp" PROPERTIES
  COMPILE_OPTIONS "-mavx2;-mfma;-ffp-contract=fast")
set_source_files_properties("${CMAKE_SOURCE_DIR}/native/src/kernels_generic.cpp" PROPERTIES
  COMPILE_OPTIONS "-ffp-contract=off")

set(SEPNET_JNI_DIR "${SEPNET_CLASSES_DIR}/org/sepnet/backend/cpu/linux-x86_64")
set(SEPNET_JNI_LIB "${SEPNET_JNI_DIR}/libjniNativeKernels.so")
set(SEPNET_BINDING_CLASS "${SEPNET_CLASSES_DIR}/org/sepnet/backend/cpu/NativeKernels.class")
add_custom_command(
  OUTPUT "${SEPNET_JNI_LIB}"
  COMMAND "${SEPNET_JAVA}" -cp "${SEPNET_JAVACPP_JAR}" org.bytedeco.javacpp.tools.Builder
          -classpath "${SEPNET_CLASSES_DIR}"
          -d "${SEPNET_JNI_DIR}"
          "-Dplatform.compiler=${CMAKE_CXX_COMPILER}"
          "-Dplatform.includepath=${CMAKE_SOURCE_DIR}/native/include"
          "-Dplatform.linkpath=$<TARGET_FILE_DIR:sepnet_native>"
          "-Dplatform.linkpath.prefix2=-L"
          org.sepnet.backend.cpu.NativeKernels
  DEPENDS sepnet_native "${SEPNET_BINDING_CLASS}" ${SEPNET_NATIVE_HEADERS}
  WORKING_DIRECTORY "${CMAKE_BINARY_DIR}"
  COMMENT "JavaCPP: generating and linking the JNI glue for NativeKernels"
  VERBATIM)
add_custom_target(sepnet_native_jni ALL DEPENDS "${SEPNET_JNI_LIB}")
