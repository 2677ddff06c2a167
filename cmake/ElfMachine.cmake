# allocpipe_check_elf_machine(<file> <machine> <what> <error_var>):
# <error_var> is empty when <file> is a 64-bit little-endian ELF file whose
# e_machine is <machine> (62 x86-64, 183 AArch64; ALLOC_ARCH_<A>_ELF_MACHINE),
# otherwise a sentence saying what it is instead. <what> names the
# architecture in that sentence ("arm64 (AArch64, machine 183)").
# A library built (or copied) for the wrong architecture never gets a
# manifest saying it is for this one (BuildLibrary.cmake, tests/matrix).
function(allocpipe_check_elf_machine file machine what error_var)
  set(${error_var} "" PARENT_SCOPE)
  if(NOT EXISTS "${file}")
    set(${error_var} "${file} does not exist, expected an ELF file for ${what}" PARENT_SCOPE)
    return()
  endif()
  file(READ "${file}" header LIMIT 20 HEX)
  string(LENGTH "${header}" length)
  if(length LESS 40 OR NOT header MATCHES "^7f454c46")
    set(${error_var} "${file} is not an ELF file, expected an ELF shared object for ${what}" PARENT_SCOPE)
    return()
  endif()
  string(SUBSTRING "${header}" 8 2 class)
  string(SUBSTRING "${header}" 10 2 data)
  string(SUBSTRING "${header}" 36 2 low)
  string(SUBSTRING "${header}" 38 2 high)
  math(EXPR seen "0x${high}${low}")
  set(names_62 "x86-64")
  set(names_183 "AArch64")
  set(names_3 "i386")
  set(names_40 "32-bit ARM")
  set(seen_name "${names_${seen}}")
  if(seen_name STREQUAL "")
    set(seen_name "unknown")
  endif()
  if(NOT class STREQUAL "02" OR NOT data STREQUAL "01")
    set(${error_var} "${file} is not a 64-bit little-endian ELF file (EI_CLASS ${class}, EI_DATA ${data}), expected one for ${what}" PARENT_SCOPE)
  elseif(NOT seen EQUAL machine)
    set(${error_var} "${file} is an ELF file for machine ${seen} (${seen_name}), expected ${what}" PARENT_SCOPE)
  endif()
endfunction()
