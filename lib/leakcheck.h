#ifndef CORS_WRAP_LEAKCHECK_H
#define CORS_WRAP_LEAKCHECK_H

/*
 * Processes that end with _exit(2) (a FastCGI worker; a CGI run, which
 * spares itself exit(3)'s handlers and the pages they live on) skip the
 * leak check LeakSanitizer runs at exit: in a make SANITIZE=1 build,
 * leak_check() runs it by hand.
 */
#if defined(__SANITIZE_ADDRESS__)
#define CW_LSAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CW_LSAN	1
#endif
#endif
#ifdef CW_LSAN
#include <sanitizer/lsan_interface.h>
#endif

static inline void
leak_check(void)
{
#ifdef CW_LSAN
	__lsan_do_leak_check();
#endif
}

#endif
