# What packaging needs to know about each Debian architecture it can make
# packages for, on any build host (data; included by cmake/Packaging.cmake and
# packaging/build-debs.cmake).
#   ALLOC_DEB_ARCH_<arch>_TRIPLET    GNU triplet: the multiarch directory and,
#                                    for a foreign build, the binutils prefix
#                                    (<triplet>-objcopy, <triplet>-readelf)
#   ALLOC_DEB_ARCH_<arch>_ELF_MACHINE e_machine of its ELF files (elf.h)
#   ALLOC_DEB_ARCH_<arch>_ELF_NAME   how readelf names that machine (messages)
# Both are 64-bit little-endian (ELFCLASS64, ELFDATA2LSB).
set(ALLOC_DEB_ARCHITECTURES amd64 arm64)
set(ALLOC_DEB_ARCH_amd64_TRIPLET x86_64-linux-gnu)
set(ALLOC_DEB_ARCH_amd64_ELF_MACHINE 62)   # EM_X86_64
set(ALLOC_DEB_ARCH_amd64_ELF_NAME "Advanced Micro Devices X86-64")
set(ALLOC_DEB_ARCH_arm64_TRIPLET aarch64-linux-gnu)
set(ALLOC_DEB_ARCH_arm64_ELF_MACHINE 183)  # EM_AARCH64
set(ALLOC_DEB_ARCH_arm64_ELF_NAME "AArch64")
