# Runs nvcc -fatbin with ptxas -v, prints a per-kernel resource table and fails on register spills.
# Invoked with cmake -P by cuda/cuda.cmake; inputs come in as -D variables.
get_filename_component(out_dir "${OUTPUT}" DIRECTORY)
file(MAKE_DIRECTORY "${out_dir}")
execute_process(
  COMMAND "${NVCC}" -fatbin -std=c++17 -O3 -lineinfo "-ccbin=${HOST_CXX}" -Xptxas=-v
          ${GENCODE} "-I${INCLUDE_DIR}" -o "${OUTPUT}" "${SOURCE}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message("${out}${err}")
  message(FATAL_ERROR "nvcc failed (exit ${rc})")
endif()

# ptxas prints, per kernel and arch:
#   ptxas info    : Compiling entry function 'NAME' for 'sm_XX'
#   ptxas info    : Function properties for NAME
#       S bytes stack frame, A bytes spill stores, B bytes spill loads
#   ptxas info    : Used R registers, used N barriers, M bytes smem, ...
string(REPLACE "\n" ";" lines "${out}${err}")
set(kernel "")
set(arch "")
set(table "")
set(spilled "")
foreach(line IN LISTS lines)
  if(line MATCHES "Compiling entry function '([^']+)' for '([^']+)'")
    set(kernel "${CMAKE_MATCH_1}")
    set(arch "${CMAKE_MATCH_2}")
    set(stores 0)
    set(loads 0)
  elseif(kernel AND line MATCHES "([0-9]+) bytes spill stores, ([0-9]+) bytes spill loads")
    set(stores "${CMAKE_MATCH_1}")
    set(loads "${CMAKE_MATCH_2}")
  elseif(kernel AND line MATCHES "Used ([0-9]+) registers")
    set(regs "${CMAKE_MATCH_1}")
    set(smem 0)
    if(line MATCHES "([0-9]+) bytes smem")
      set(smem "${CMAKE_MATCH_1}")
    endif()
    string(APPEND table "${kernel}\t${arch}\tregs=${regs}\tsmem=${smem}\tspill_stores=${stores}\tspill_loads=${loads}\n")
    if(NOT stores EQUAL 0 OR NOT loads EQUAL 0)
      list(FIND SPILL_ALLOWED "${kernel}" allowed)
      if(allowed EQUAL -1)
        list(APPEND spilled "${kernel} (${arch}: ${stores} B stores, ${loads} B loads)")
      endif()
    endif()
    set(kernel "")
  endif()
endforeach()
file(WRITE "${REPORT}" "${table}")
message("ptxas resource usage (kernel, arch, registers, static shared memory, spills):\n${table}")
if(spilled)
  string(REPLACE ";" "\n  " spilled "${spilled}")
  message(FATAL_ERROR "register spills in kernels that must not spill:\n  ${spilled}")
endif()
