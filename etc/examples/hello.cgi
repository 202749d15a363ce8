#!/bin/sh
# A CGI program that knows nothing about CORS.  Served through cors-wrap (see
# etc/demo.sh), it gets the Access-Control-* headers, and preflights are
# answered without running it.
printf 'Content-Type: application/json\n'
printf 'X-Request-Id: %s\n' "$$"
printf '\n'
printf '{"hello": "world", "method": "%s"}\n' "$REQUEST_METHOD"
