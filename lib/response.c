#include "response.h"

#include <stdbool.h>
#include <string.h>

#include "outbuf.h"

const char *
response_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	}
	return "Unknown";
}

/* cap keeps room for the NUL that ends the block. */
#define PUT(s)	outbuf_put(buf, cap, &o, s, strlen(s))

/*
 * No snprintf: this is the whole of a preflight's answer in CGI mode, and
 * printf's code is a few more page faults in a process that lives for one
 * request (bench/run row 2).
 */
ssize_t
response_format(char *buf, size_t len, int status, const struct answer *a)
{
	const char	*reason = response_reason(status);
	char		 code[4];
	size_t		 o = 0, cap = len - 1;
	ssize_t		 n;

	if (status < 100 || status > 999 || len == 0)
		return -1;
	code[0] = (char)('0' + status / 100);
	code[1] = (char)('0' + status / 10 % 10);
	code[2] = (char)('0' + status % 10);
	code[3] = '\0';
	if (!PUT("Status: ") || !PUT(code) || !PUT(" ") || !PUT(reason) ||
	    !PUT("\r\n"))
		return -1;
	if (a != NULL) {
		if ((n = answer_format(a, "\r\n", buf + o, len - o)) == -1)
			return -1;
		o += (size_t)n;
	}
	if (status >= 400) {
		if (!PUT("Content-Type: text/plain\r\n\r\n") || !PUT(code) ||
		    !PUT(" ") || !PUT(reason) || !PUT("\n"))
			return -1;
	} else if (status == 200) {
		if (!PUT("Content-Length: 0\r\n\r\n"))
			return -1;
	} else if (!PUT("\r\n"))
		return -1;
	buf[o] = '\0';
	return (ssize_t)o;
}
