/*
 * Large static buffers go at the end of .bss (x86-64's .lbss, which the
 * linker puts after it), not where their object's turn in the link puts
 * them.  A CGI process lives for one request and pays a page fault for
 * each page it first writes; libc's own small variables (its allocator's
 * state, thread and stdio data) are written by every process, and two
 * buffers of 150 KiB between them and .data spread them over pages of
 * their own (bench/README.md).  GCC takes the section from an attribute;
 * clang makes a named section's data NOBITS (no file space) only through
 * its pragma.  Only on x86: elsewhere GCC makes .lbss PROGBITS (300 KiB of
 * zeros in the file) and the linker's scripts do not place it, so the
 * buffers stay in .bss.
 */
#ifndef CORS_LAYOUT_H
#define CORS_LAYOUT_H

#if !defined(__x86_64__) && !defined(__i386__)
#define LATE_BSS_BEGIN
#define LATE_BSS_END
#define LATE_BSS
#elif defined(__clang__)
#define LATE_BSS_BEGIN	_Pragma("clang section bss=\".lbss\"")
#define LATE_BSS_END	_Pragma("clang section bss=\"\"")
#define LATE_BSS
#else
#define LATE_BSS_BEGIN
#define LATE_BSS_END
#define LATE_BSS	__attribute__((section(".lbss")))
#endif

#endif
