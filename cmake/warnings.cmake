# Warning flags for chanrules' own targets (not applied to dependencies).
function(chanrules_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
                                           -Wno-missing-field-initializers)
endfunction()
