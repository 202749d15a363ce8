#include "response.h"

#include <stdio.h>
#include <string.h>

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

size_t
response_format(char *buf, size_t len, int status, const struct answer *a)
{
	const char	*reason = response_reason(status);
	size_t		 o, n;
	int		 w;

	w = snprintf(buf, len, "Status: %d %s\r\n", status, reason);
	if (w < 0 || (size_t)w >= len)
		return 0;
	o = (size_t)w;
	if (a != NULL) {
		if ((n = answer_format(a, "\r\n", buf + o, len - o)) == 0 &&
		    (a->nfields > 0 || a->vary != 0))
			return 0;
		o += n;
	}
	if (status >= 400)
		w = snprintf(buf + o, len - o, "Content-Type: text/plain\r\n"
		    "\r\n%d %s\n", status, reason);
	else if (status == 200)
		w = snprintf(buf + o, len - o, "Content-Length: 0\r\n\r\n");
	else
		w = snprintf(buf + o, len - o, "\r\n");
	if (w < 0 || (size_t)w >= len - o)
		return 0;
	return o + (size_t)w;
}
