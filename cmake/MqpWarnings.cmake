# Warnings for our own targets only; third-party headers are included as system headers.
function(mqp_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wconversion -Wsign-conversion
    -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wundef)
  if(MQP_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
