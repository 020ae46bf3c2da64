# Warnings for our own targets only; third-party headers are included as system headers.
function(mqp_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wconversion -Wsign-conversion
    -Wformat=2 -Wundef $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes -Wmissing-prototypes>)
  if(MQP_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
