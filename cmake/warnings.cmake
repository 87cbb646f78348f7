# Warning flags for chanrules' own targets (not applied to dependencies).
function(chanrules_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic
                                           -Wno-missing-field-initializers)
  # GCC's -Wshadow=local has no clang spelling (clang builds the fuzz targets).
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wshadow=local)
  endif()
endfunction()
